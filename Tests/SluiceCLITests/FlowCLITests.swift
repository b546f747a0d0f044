import Foundation
import Testing

/// End-to-end: pipelines as flows through the real `sluice` binary, recorded in .sluice/runs.sqlite.
@Suite("sluice flow")
struct FlowCLITests {
    let cli = CLITests()

    /// A project with the bundled sample and a flow section.
    func project(_ flowSection: String, extra: String = "") throws -> String {
        let dir = try cli.scratch()
        try FileManager.default.copyItem(atPath: CLITests.repository.path + "/samples", toPath: dir + "/samples")
        let toml = try String(contentsOfFile: CLITests.repository.path + "/sluice.toml", encoding: .utf8)
        try (toml + "\n[pipelines.sample.flow]\n" + flowSection + "\n" + extra).write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        return dir
    }

    func runsJSON(_ dir: String, _ args: [String] = []) throws -> [[String: Any]] {
        let out = try cli.sluice(["runs", "--json"] + args, in: dir)
        #expect(out.status == 0, "\(out.output)")
        return try JSONSerialization.jsonObject(with: Data(out.output.utf8)) as? [[String: Any]] ?? []
    }

    @Test func aPipelineFlowLoadsTransformsRunsACommandAndIsRecorded() throws {
        let dir = try project("""
            sql = ["transform/summary.sql"]
            command = ["/bin/sh", "-c", "echo dbt-like step ran"]
            """)
        try FileManager.default.createDirectory(atPath: dir + "/transform", withIntermediateDirectories: true)
        try "DROP TABLE IF EXISTS trip_summary;\nCREATE TABLE trip_summary AS SELECT count(*) AS trips FROM trips;\n"
            .write(toFile: dir + "/transform/summary.sql", atomically: true, encoding: .utf8)

        let ls = try cli.sluice(["flow", "ls"], in: dir)
        #expect(ls.output.contains("run_sample (retries after 10s, 30s, 90s)"), "\(ls.output)")
        let run = try cli.sluice(["flow", "run", "sample", "--quiet"], in: dir)
        #expect(run.status == 0, "\(run.output)")
        #expect(try cli.sqlite(dir + "/sample.sqlite", "select trips from trip_summary") == "3000")

        let runs = try runsJSON(dir)
        #expect(runs.count == 1)
        #expect(runs[0]["state"] as? String == "Completed")
        let result = runs[0]["result"] as? [String: Any]   // a JSON object, not JSON in a string
        #expect((result?["rows"] as? [String: Int])?["trips"] == 3000)
        #expect((result?["schema_changes"] as? [String])?.contains("new table trips (15 columns)") == true)
        #expect(result?["transformations"] as? [String] == ["transform/summary.sql"])

        let id = try #require(runs[0]["id"] as? String)
        let logs = try cli.sluice(["logs", String(id.prefix(8))], in: dir)
        #expect(logs.status == 0)
        for expected in ["run_sample      Completed", "sql_sample      Completed", "command_sample  Completed",
                         "[run_sample]   trips: 3000 rows", "[sql_sample] ran transform/summary.sql", "[command_sample] dbt-like step ran"] {
            #expect(logs.output.contains(expected), "missing \(expected) in \(logs.output)")
        }
        // Parameters are typed and checked.
        let typo = try cli.sluice(["flow", "run", "sample", "--param", "full_rfresh=true"], in: dir)
        #expect(typo.status != 0)
        #expect(typo.output.contains("unknown parameter full_rfresh (expected: full_refresh)"))
        let refresh = try cli.sluice(["flow", "run", "sample", "--quiet", "--param", "full_refresh=true"], in: dir)
        #expect(refresh.status == 0, "\(refresh.output)")
        #expect(try runsJSON(dir)[0]["parameters"] as? [String: Bool] == ["full_refresh": true])
        let wrongType = try cli.sluice(["flow", "run", "sample", "--param", "full_refresh=often"], in: dir)
        #expect(wrongType.status != 0 && wrongType.output.contains("parameter full_refresh: expected true or false"), "\(wrongType.output)")
    }

    @Test func aFailingStepFailsTheRunWithExitStatusOne() throws {
        let dir = try project("""
            retries = []
            sql = ["transform/broken.sql"]
            """)
        try FileManager.default.createDirectory(atPath: dir + "/transform", withIntermediateDirectories: true)
        try "SELECT * FROM no_such_table;".write(toFile: dir + "/transform/broken.sql", atomically: true, encoding: .utf8)
        let run = try cli.sluice(["flow", "run", "sample"], in: dir)
        #expect(run.status == 1)
        #expect(run.output.contains("Failed"))
        #expect(run.output.contains("transform/broken.sql"))
        let failed = try runsJSON(dir, ["--state", "failed"])
        #expect(failed.count == 1)
        #expect((failed[0]["error"] as? String)?.contains("no such table: no_such_table") == true)
        #expect(try runsJSON(dir, ["--state", "completed"]).isEmpty)
        let notHTTP = try project("retries = []", extra: "[notifications.webhook]\nurl = \"ftp://example.com/hook\"\n")
        #expect(try cli.sluice(["flow", "run", "sample"], in: notHTTP).output.contains("[notifications.webhook] url is not an http(s) URL"))
        let bad = try cli.sluice(["runs", "--state", "nope"], in: dir)
        #expect(bad.status != 0 && bad.output.contains("unknown state 'nope'"))
    }

    @Test func theDefaultRetriesAreOverridableAndBadInputIsNotRetried() throws {
        let dir = try project("retries = [1, 2]\ntimeout = 600")
        #expect(try cli.sluice(["flow", "ls"], in: dir).output.contains("run_sample (retries after 1s, 2s)"))
        // A corrupt input file: a retry cannot fix it, so the run fails at once.
        try "{\"id\": 1}\n{broken\n".write(toFile: dir + "/samples/issues.jsonl.gz", atomically: true, encoding: .utf8)
        let run = try cli.sluice(["flow", "run", "sample", "--quiet"], in: dir)
        #expect(run.status == 1)
        let runs = try runsJSON(dir)
        let id = try #require(runs.first?["id"] as? String)
        let logs = try cli.sluice(["logs", id], in: dir)
        #expect(logs.output.contains("run_sample  Failed  1 "), "\(logs.output)")
        let wrong = try project("retries = \"often\"")
        #expect(try cli.sluice(["flow", "run", "sample"], in: wrong).output.contains("[pipelines.sample.flow] retries: expected a list of delays"))
    }
}
