import Foundation
import Testing

/// `cache_expiration` in `[pipelines.<p>.flow]`: the SQL and command steps reuse their results across
/// processes while their inputs (the SQL files' contents, the command's arguments) are unchanged.
@Suite("flow step caching from sluice.toml")
struct FlowCacheCLITests {
    let flows = FlowCLITests()
    var cli: CLITests { flows.cli }

    func taskStates(_ dir: String) async throws -> String {
        let runs = try flows.runsJSON(dir)
        let id = try #require(runs.first?["id"] as? String)
        return try await cli.sluice(["logs", id], in: dir).output
    }

    @Test func theCommandStepRetriesWithItsOwnDelays() async throws {
        // Fails the first time, succeeds the second.
        let dir = try flows.project("""
            command = ["/bin/sh", "-c", "if [ -f tried ]; then echo second; else touch tried; echo first; exit 3; fi"]
            command_retries = [0.2]
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ls = try await cli.sluice(["flow", "ls"], in: dir).output
        #expect(ls.contains("command_sample (/bin/sh -c") && ls.contains(", retries after 0s)"), "\(ls)")
        let run = try await cli.sluice(["flow", "run", "sample", "--quiet"], in: dir)
        #expect(run.status == 0, "\(run.output)")
        let logs = try await taskStates(dir)
        #expect(logs.contains("command_sample  Completed  2"), "\(logs)")
        #expect(logs.contains("task command_sample attempt 1 of 2 failed"), "\(logs)")
    }

    @Test func stepsAreCachedAcrossProcessesUntilTheirInputsChange() async throws {
        let dir = try flows.project("""
            sql = ["transform/summary.sql"]
            command = ["/bin/sh", "-c", "echo ran >> command.log"]
            cache_expiration = 3600
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/transform", withIntermediateDirectories: true)
        let sql = dir + "/transform/summary.sql"
        try "DROP TABLE IF EXISTS s; CREATE TABLE s AS SELECT count(*) AS n FROM trips;".write(toFile: sql, atomically: true, encoding: .utf8)
        func commandRuns() -> Int {
            ((try? String(contentsOfFile: dir + "/command.log", encoding: .utf8)) ?? "").split(separator: "\n").count
        }

        #expect(try await cli.sluice(["flow", "run", "sample", "--quiet"], in: dir).status == 0)
        #expect(commandRuns() == 1)
        // A second process: both steps are Cached, the command did not run.
        #expect(try await cli.sluice(["flow", "run", "sample", "--quiet"], in: dir).status == 0)
        var logs = try await taskStates(dir)
        #expect(logs.contains("sql_sample      Cached") && logs.contains("command_sample  Cached"), "\(logs)")
        #expect(commandRuns() == 1)
        // A changed SQL file is another key: the SQL step runs again; the command stays cached.
        try "DROP TABLE IF EXISTS s; CREATE TABLE s AS SELECT count(*) + 1 AS n FROM trips;".write(toFile: sql, atomically: true, encoding: .utf8)
        #expect(try await cli.sluice(["flow", "run", "sample", "--quiet"], in: dir).status == 0)
        logs = try await taskStates(dir)
        #expect(logs.contains("sql_sample      Completed") && logs.contains("command_sample  Cached"), "\(logs)")
        #expect(try cli.sqlite(dir + "/sample.sqlite", "select n from s") == "3001")
        // refresh_cache runs the steps anyway and replaces the results.
        let toml = try String(contentsOfFile: dir + "/sluice.toml", encoding: .utf8)
        try toml.replacingOccurrences(of: "cache_expiration = 3600", with: "cache_expiration = 3600\nrefresh_cache = true")
            .write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        #expect(try await cli.sluice(["flow", "run", "sample", "--quiet"], in: dir).status == 0)
        #expect(commandRuns() == 2)
        let wrong = try flows.project("cache_expiration = \"1h\"")
        defer { try? FileManager.default.removeItem(atPath: wrong) }
        let bad = try await cli.sluice(["flow", "run", "sample"], in: wrong)
        #expect(bad.status != 0 && bad.output.contains("[pipelines.sample.flow] cache_expiration: expected a number of seconds"), "\(bad.output)")
    }
}
