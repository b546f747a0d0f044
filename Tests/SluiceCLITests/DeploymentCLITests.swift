import Foundation
import Testing

/// End to end through the real binary: the sample's deployment listed, run now, run when due on fresh
/// machines (a CI job), paused and resumed, and its runs listed.
@Suite("sluice deployment")
struct DeploymentCLITests {
    let cli = CLITests()

    /// The repository's sluice.toml and samples in a scratch folder (its deployment: 02:30 Europe/Berlin).
    func project() throws -> String {
        let dir = try cli.scratch()
        try FileManager.default.copyItem(atPath: CLITests.repository.path + "/samples", toPath: dir + "/samples")
        try FileManager.default.copyItem(atPath: CLITests.repository.path + "/sluice.toml", toPath: dir + "/sluice.toml")
        return dir
    }

    @Test func theSampleDeploymentIsListedWithItsScheduleInWordsAndNextRuns() throws {
        let dir = try project()
        let ls = try cli.sluice(["deployment", "ls", "--json"], in: dir)
        #expect(ls.status == 0, "\(ls.output)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(ls.output.utf8)) as? [[String: Any]])
        let sample = try #require(entries.first { $0["name"] as? String == "sample_nightly" })
        #expect((sample["next_runs"] as? [String])?.count == 3)
        #expect((sample["schedules"] as? [[String: Any]])?.first?["schedule"] as? String == "at 02:30 every day, Europe/Berlin")
        let text = try cli.sluice(["deployment", "ls"], in: dir)
        #expect(text.output.contains("last run here: none") && text.output.contains("last slot handled: none"), "\(text.output)")
        // Times in the schedule's zone, as `sluice cron next` prints them.
        #expect(text.output.contains("T02:30:00+01:00"), "\(text.output)")
    }

    @Test func aCIJobOnFreshMachinesRunsEachSlotOnceAndMissedNightsAreLate() throws {
        let dir = try project()
        func due(_ at: String) throws -> CLITests.Result {
            // A fresh machine: no .sluice/ (the slot is kept in the destination, sample.sqlite).
            try? FileManager.default.removeItem(atPath: dir + "/.sluice")
            return try cli.sluice(["deployment", "run", "--due", "--at", at], in: dir)
        }
        let first = try due("2026-12-01T01:40:00Z")
        #expect(first.status == 0 && first.output.contains("slot 2026-12-01T01:30:00Z run"), "\(first.output)")
        #expect(try due("2026-12-01T01:55:00Z").output.contains("nothing due"))
        #expect(try due("2026-12-01T01:55:00Z").output.contains("nothing due"))
        let back = try due("2026-12-04T03:00:00Z")
        #expect(back.output.contains(#/slot 2026-12-02T01:30:00Z run \w+: missed/#), "\(back.output)")
        #expect(back.output.contains(#/slot 2026-12-03T01:30:00Z run \w+: missed/#), "\(back.output)")
        #expect(back.output.contains("slot 2026-12-04T01:30:00Z run"), "\(back.output)")
        // Merge by id and replace: the tables hold the sample once, whatever ran.
        #expect(try cli.sqlite(dir + "/sample.sqlite", "select count(*) from issues") == "1500")
        let runs = try cli.sluice(["runs", "--deployment", "sample_nightly", "--json"], in: dir)
        let states = (try JSONSerialization.jsonObject(with: Data(runs.output.utf8)) as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
        #expect(states.sorted() == ["Completed", "Late", "Late"], "\(runs.output)")
    }

    @Test func pauseResumeAndRunNow() throws {
        let dir = try project()
        #expect(try cli.sluice(["deployment", "pause", "sample_nightly"], in: dir).status == 0)
        let paused = try cli.sluice(["deployment", "run", "--due", "--at", "2026-12-01T01:40:00Z"], in: dir)
        #expect(paused.output.contains("sample_nightly: paused"), "\(paused.output)")
        #expect(try cli.sluice(["deployment", "resume", "sample_nightly"], in: dir).status == 0)
        // The slot that came while paused is neither run nor recorded Late after the resume, as in Prefect.
        let resumed = try cli.sluice(["deployment", "run", "--due", "--at", "2026-12-01T01:45:00Z"], in: dir)
        #expect(resumed.output.contains("nothing due"), "\(resumed.output)")
        #expect(try cli.sqlite(dir + "/sample.sqlite", "select count(*) from sqlite_master where name = 'issues'") == "0")
        let now = try cli.sluice(["deployment", "run", "sample_nightly"], in: dir)
        #expect(now.status == 0 && now.output.contains("Completed"), "\(now.output)")
        let unknown = try cli.sluice(["deployment", "pause", "nightly"], in: dir)
        #expect(unknown.status != 0 && unknown.output.contains("declared: sample_nightly"), "\(unknown.output)")
    }

    @Test func aFailingScheduledRunExitsNonZero() throws {
        let dir = try project()
        try FileManager.default.removeItem(atPath: dir + "/samples/issues.jsonl.gz")
        let out = try cli.sluice(["deployment", "run", "--due", "--at", "2026-12-01T01:40:00Z"], in: dir)
        #expect(out.status != 0, "\(out.output)")
        #expect(out.output.contains("Failed"), "\(out.output)")
    }
}

extension DeploymentCLITests {
    /// Found by a new user: `sluice check` is the CI gate, so it checks deployments as deeply as `deployment ls`.
    @Test(arguments: [
        ("timezone = \"Europe/Berlinn\"", "Europe/Berlinn"),
        ("flow = \"sampel\"", "no flow 'sampel'"),
        ("cron = \"61 2 * * *\"", "minute '61'"),
        ("interval = 0", "interval"),
        ("parameters = { full_refresh = \"yes\" }", "full_refresh"),
        ("parameters = { slot = \"2026-01-01T00:00:00Z\" }", "set by the scheduler"),
    ])
    func checkFindsBadDeployments(change: String, message: String) throws {
        let dir = try project()
        let toml = try String(contentsOfFile: dir + "/sluice.toml", encoding: .utf8)
        let schedule = #"schedules = [{ cron = "30 2 * * *", timezone = "Europe/Berlin" }]"#
        var bad = toml
        if change.hasPrefix("timezone") { bad = toml.replacingOccurrences(of: #"timezone = "Europe/Berlin""#, with: change) }
        else if change.hasPrefix("flow") { bad = toml.replacingOccurrences(of: #"flow = "sample""#, with: change) }
        else if change.hasPrefix("cron") { bad = toml.replacingOccurrences(of: #"cron = "30 2 * * *""#, with: change) }
        else if change.hasPrefix("interval") { bad = toml.replacingOccurrences(of: schedule, with: "schedules = [{ \(change) }]") }
        else { bad = toml.replacingOccurrences(of: schedule, with: schedule + "\n" + change) }
        #expect(bad != toml)
        try bad.write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        let out = try cli.sluice(["check"], in: dir)
        #expect(out.status != 0 && out.output.contains(message) && out.output.contains("[deployments.sample_nightly]"), "\(out.output)")
    }

    @Test func aTypoInTheDueDeploymentNameIsAnError() throws {
        let out = try cli.sluice(["deployment", "run", "--due", "sample_nightlyy"], in: try project())
        #expect(out.status != 0 && out.output.contains("no deployment 'sample_nightlyy'"), "\(out.output)")
    }
}
