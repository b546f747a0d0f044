import Foundation
import SluiceTesting
import Testing

/// The real `sluice serve`: a deployment due every second runs a few slots, then SIGTERM stops it cleanly.
@Suite("sluice serve", .serialized)
struct ServeCLITests {
    let cli = CLITests()

    /// The deployment's runs, from `sluice runs --json` (run off the test's threads).
    func flowRuns(_ dir: String, state: String? = nil) async throws -> [[String: Any]] {
        let out = try await cli.sluice(["runs", "--deployment", "every_second", "--limit", "1000", "--json"] + (state.map { ["--state", $0] } ?? []), in: dir)
        return (try JSONSerialization.jsonObject(with: Data(out.output.utf8)) as? [[String: Any]]) ?? []
    }

    func completed(_ runs: [[String: Any]]) -> [String] {
        runs.filter { $0["state"] as? String == "Completed" }.compactMap { $0["scheduled_for"] as? String }
    }

    @Test func servesSlotsAndStopsCleanlyOnSIGTERM() async throws {
        let dir = try TemporaryDirectory.make("serve-cli")
        try "{\"id\":1}\n{\"id\":2}\n".write(toFile: dir + "/events.jsonl", atomically: true, encoding: .utf8)
        try """
            [pipelines.events]
            source = "files"

            [pipelines.events.tables.events]
            path = "events.jsonl"

            [deployments.every_second]
            flow = "events"
            schedules = [{ interval = 1 }]
            """.write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        let serve = try InterruptionCLITests.Started(["serve"], in: dir)
        let deadline = Date().addingTimeInterval(60)  // a hang guard: three slots take about three seconds
        var ranThree = false
        while !ranThree, Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
            ranThree = completed(try await flowRuns(dir)).count >= 3
        }
        serve.signal(SIGTERM)
        #expect(await serve.exit() == 0)
        #expect(ranThree)
        let runs = try await flowRuns(dir)
        let slots = completed(runs)
        #expect(slots.count >= 3)
        #expect(Set(slots).count == slots.count)  // one run per slot
        #expect(runs.filter { ["Running", "Pending", "Retrying"].contains($0["state"] as? String ?? "") }.isEmpty)
        // What was created ahead waits, Scheduled, for the next `sluice serve`: not in the history, counted
        // under it, listed with --state scheduled.
        #expect(!runs.contains { $0["state"] as? String == "Scheduled" })
        let ahead = try await flowRuns(dir, state: "scheduled")
        #expect(!ahead.isEmpty && ahead.allSatisfy { $0["state"] as? String == "Scheduled" })
        let table = try await cli.sluice(["runs", "--deployment", "every_second"], in: dir)
        #expect(table.output.contains("\(ahead.count) scheduled run\(ahead.count == 1 ? "" : "s") ahead: sluice runs --state scheduled"), "\(table.output)")
    }
}
