import SluiceTesting
import Foundation
import Testing

/// Things a user trips on: unknown pipelines, plurals, --version, listing pipelines, re-running a load.
@Suite("sluice command: small things")
struct SmallThingsCLITests {
    let cli = CLITests()

    @Test func inspectingAPipelineThatDoesNotExistFails() throws {
        let dir = try cli.scratch()
        for command in [["state", "nosuchpipe"], ["reset", "nosuchpipe", "--resource", "r"]] {
            let result = try cli.sluice(command, in: dir)
            #expect(result.status != 0, "\(command): \(result.output)")
            #expect(result.output.contains("no pipeline 'nosuchpipe': not in sluice.toml and never loaded here"), "\(result.output)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "nothing created")
    }

    @Test func versionPluralsAndTheListOfPipelines() throws {
        let dir = try cli.scratch()
        let version = try cli.sluice(["--version"], in: dir)
        #expect(version.status == 0 && version.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        _ = FileManager.default.createFile(atPath: dir + "/one.jsonl", contents: Data("{\"id\":1,\"tags\":[\"a\",\"b\"]}\n".utf8))
        #expect(try cli.sluice(["load", "one.jsonl", "--table", "one", "--pipeline", "adhoc"], in: dir).status == 0)
        let show = try cli.sluice(["show", "adhoc"], in: dir)
        #expect(show.output.contains("one (1 row, append)") && show.output.contains("one__tags (2 rows, append"), "\(show.output)")
        try FileManager.default.copyItem(atPath: CLITests.repository.path + "/sluice.toml", toPath: dir + "/sluice.toml")
        for command in ["pipelines", "ls"] {
            let list = try cli.sluice([command], in: dir)
            #expect(list.status == 0)
            let lines = list.output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(lines == ["PIPELINE SOURCE DESTINATION DATASET TABLES", "sample files sqlite sample issues, trips",
                              "adhoc sluice load sqlite adhoc one"], "\(list.output)")
        }
    }

    @Test func aPipelineMadeByLoadRunsAgainWithItsFilesAndHints() throws {
        let dir = try cli.scratch()
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try "{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"a\"}\n".write(toFile: dir + "/data/d.jsonl", atomically: true, encoding: .utf8)
        let load = try cli.sluice(["load", "data/d.jsonl", "--table", "d", "--write-disposition", "merge", "--primary-key", "id"], in: dir)
        #expect(load.status == 0, "\(load.output)")
        try "{\"id\":2,\"v\":\"b\"}\n{\"id\":3,\"v\":\"b\"}\n".write(toFile: dir + "/data/d.jsonl", atomically: true, encoding: .utf8)
        let help = try cli.sluice(["run", "--help"], in: dir)
        #expect(help.output.contains("or one made by `sluice load`"))
        let run = try cli.sluice(["run", "d"], in: dir)
        #expect(run.status == 0, "\(run.output)")
        #expect(try cli.sqlite(dir + "/d.sqlite", "select group_concat(id || v) from (select * from d order by id)") == "1a,2b,3b")
    }

    @Test(.enabled(if: TestPostgres.available, "needs the Postgres that scripts/test starts"))
    func postgresNoticesStayOffTheConsole() throws {
        let connection = try #require(TestPostgres.connection)
        let dir = try cli.scratch()
        _ = FileManager.default.createFile(atPath: dir + "/e.jsonl", contents: Data("{\"id\":1}\n".utf8))
        let dataset = "notice_" + UUID().uuidString.prefix(8).lowercased()
        let env = ["DESTINATION__POSTGRES__CREDENTIALS": connection]
        for _ in 0..<2 {
            let result = try cli.sluice(["load", "e.jsonl", "--table", "e", "--write-disposition", "replace", "--destination", "postgres",
                                         "--dataset", dataset], in: dir, environment: env)
            #expect(result.status == 0, "\(result.output)")
            #expect(!result.output.contains("NOTICE") && !result.output.contains("already exists, skipping"), "\(result.output)")
        }
    }
}
