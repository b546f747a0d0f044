import Foundation
import Testing

/// A typo in sluice.toml or secrets.toml stops every command with the file, table path and key;
/// `sluice check` finds every problem of a project without running anything.
@Suite("sluice command: strict configuration and check")
struct ConfigCLITests {
    let cli = CLITests()

    func project(_ toml: String, secrets: String? = nil) throws -> String {
        let dir = try cli.scratch()
        _ = FileManager.default.createFile(atPath: dir + "/items.jsonl", contents: Data(#"{"id":1}"#.utf8 + [0x0A]))
        try toml.write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        if let secrets { try secrets.write(toFile: dir + "/secrets.toml", atomically: true, encoding: .utf8) }
        return dir
    }

    static let valid = """
        [pipelines.t]
        source = "files"
        [pipelines.t.tables.items]
        path = "items.jsonl"
        write_disposition = "merge"
        primary_key = ["id"]
        """

    @Test func aTypoStopsTheRunNamingFileTableAndKey() throws {
        let dir = try project(Self.valid.replacingOccurrences(of: "write_disposition", with: "write_dispositon"))
        let run = try cli.sluice(["run", "t"], in: dir)
        #expect(run.status != 0)
        #expect(run.output.contains("sluice.toml: [pipelines.t.tables.items] write_dispositon: unknown key (did you mean 'write_disposition'?)"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/t.sqlite"), "nothing ran")
        let typed = try project(Self.valid.replacingOccurrences(of: "[\"id\"]", with: "\"id\"") + "\n[pipelines.t.flow]\nretrys = [1]\n")
        let check = try cli.sluice(["check"], in: typed)
        #expect(check.status != 0)
        #expect(check.output.contains("sluice.toml: [pipelines.t.tables.items] primary_key: expected a list of strings, got a string"), "\(check.output)")
        for raw in ["DecodingError", "keyNotFound", "typeMismatch", "CodingKeys"] { #expect(!check.output.contains(raw)) }
        let secrets = try project(Self.valid, secrets: "[destination.postgres.credentials]\nhots = \"db\"\n")
        let bad = try cli.sluice(["run", "t"], in: secrets)
        #expect(bad.status != 0 && bad.output.contains("secrets.toml: [destination.postgres.credentials] hots: unknown key (did you mean 'host'?)"), "\(bad.output)")
    }

    @Test func checkFindsEveryProblemWithoutRunningAnything() throws {
        let ok = try project(Self.valid)
        let good = try cli.sluice(["check"], in: ok)
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("1 pipeline(s) checked (t): ok"))
        let dir = try project(Self.valid + """

            [pipelines.t.tables.more]
            path = "missing.jsonl"
            [pipelines.t.flow]
            retrys = [1]
            [pipelines.u]
            source = "files"
            [pipelines.u.tables.x]
            path = "items.jsonl"
            [pipelines.u.flow]
            sql = ["transform/nope.sql"]
            command = ["no-such-program-xyz"]
            """)
        let check = try cli.sluice(["check"], in: dir)
        #expect(check.status != 0)
        #expect(check.output.contains("4 problem(s)"))
        for expected in ["sluice.toml: [pipelines.t] tables.more: input file not found: missing.jsonl",
                         "sluice.toml: [pipelines.t.flow] retrys: unknown key (did you mean 'retries'?)",
                         "sluice.toml: [pipelines.u] flow: SQL file not found: transform/nope.sql",
                         "sluice.toml: [pipelines.u] flow: command not found: no-such-program-xyz"] {
            #expect(check.output.contains(expected), "missing \(expected) in \(check.output)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(left == ["items.jsonl", "sluice.toml"], "check wrote nothing")
    }
}
