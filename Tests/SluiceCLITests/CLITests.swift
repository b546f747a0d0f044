import SluiceTesting
import Foundation
import Testing

/// End-to-end: the real `sluice` binary on the bundled sample and on ad-hoc files.
@Suite("sluice command")
struct CLITests {
    init() {}

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The built binary sits beside the test bundle.
    static var binary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("sluice").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("sluice").path
    }

    struct Result {
        var status: Int32
        var output: String
    }

    func sluice(_ args: [String], in dir: String, environment: [String: String] = [:]) throws -> Result {
        try run(Self.binary, args, in: dir, environment: environment)
    }

    /// Runs `binary` (a `sluice` or a build of your own) in `dir`, its output and errors together.
    func run(_ binary: String, _ args: [String], in dir: String, environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.standardInput = FileHandle.nullDevice
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    func sqlite(_ db: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [db, sql]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func scratch() throws -> String {
        try TemporaryDirectory.make("cli")
    }

    @Test func quickStartRunsTheBundledSample() throws {
        let dir = try scratch()
        for item in ["sluice.toml", "samples"] {
            try FileManager.default.copyItem(atPath: Self.repository.path + "/" + item, toPath: dir + "/" + item)
        }
        let run = try sluice(["run", "sample"], in: dir)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("trips: 3000 rows"))
        #expect(try sqlite(dir + "/sample.sqlite", "select count(*) from trips") == "3000")
        #expect(try sqlite(dir + "/sample.sqlite", "select count(*) from issues") == "1500")
        // Running again: trips is replaced, issues merged by id; the counts stay.
        #expect(try sluice(["run", "sample"], in: dir).status == 0)
        #expect(try sqlite(dir + "/sample.sqlite", "select count(*) from trips") == "3000")
        #expect(try sqlite(dir + "/sample.sqlite", "select count(*) from issues") == "1500")
        // A full refresh drops and reloads: same counts, one load in the history.
        let refreshed = try sluice(["run", "sample", "--full-refresh"], in: dir)
        #expect(refreshed.status == 0, "\(refreshed.output)")
        #expect(try sqlite(dir + "/sample.sqlite", "select count(*) from issues") == "1500")
        #expect(try sqlite(dir + "/sample.sqlite", "select count(*) from _dlt_version") == "1")
        let show = try sluice(["show", "sample"], in: dir)
        #expect(show.output.contains("issues__labels"))
        #expect(show.output.contains("comments__v_text  text  (variant)"))
    }

    @Test func loadReportsBadInputWithFileAndLine() throws {
        let dir = try scratch()
        _ = FileManager.default.createFile(atPath: dir + "/e.jsonl", contents: Data("{\"a\":1}\n{\"a\":\n".utf8))
        let result = try sluice(["load", "e.jsonl", "--table", "events"], in: dir)
        #expect(result.status != 0)
        #expect(result.output.contains("e.jsonl:2"))
        #expect(result.output.contains("malformed JSON"))
        if FileManager.default.fileExists(atPath: dir + "/events.sqlite") {
            #expect(try sqlite(dir + "/events.sqlite", "select count(*) from sqlite_master where name = 'events'") == "0")
        }
    }

    @Test func unknownPipelineIsNamed() throws {
        let dir = try scratch()
        let result = try sluice(["run", "nope"], in: dir)
        #expect(result.status != 0)
        #expect(result.output.contains("no pipeline 'nope'"))
    }
}

@Suite("sluice command: hints and secrets")
struct CLIHintTests {
    let cli = CLITests()

    @Test func hashSaltComesFromSecretsAndNeverShows() throws {
        let dir = try cli.scratch()
        _ = FileManager.default.createFile(atPath: dir + "/p.jsonl", contents: Data(#"{"id":1,"email":"a@b.c","ssn":"123"}"#.utf8 + [0x0A]))
        try "[privacy]\nsalt = \"s3cret-salt-value\"\n".write(toFile: dir + "/secrets.toml", atomically: true, encoding: .utf8)
        let result = try cli.sluice(["load", "p.jsonl", "--table", "people", "--hash", "email", "--exclude", "ssn", "-v"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains("s3cret-salt-value"))
        let hashed = try cli.sqlite(dir + "/people.sqlite", "select email from people")
        #expect(hashed.count == 64 && hashed != "a@b.c")
        #expect(try cli.sqlite(dir + "/people.sqlite", "select count(*) from pragma_table_info('people') where name = 'ssn'") == "0")
        // The same salt from the environment gives the same hash; a different one a different hash.
        try FileManager.default.removeItem(atPath: dir + "/secrets.toml")
        let missing = try cli.sluice(["load", "p.jsonl", "--table", "other", "--hash", "email"], in: dir)
        #expect(missing.status != 0 && missing.output.contains("needs a salt"))
    }

    @Test func mergeStrategyAndIncrementalFromTheCommandLine() throws {
        let dir = try cli.scratch()
        let lines = (1...5).map { #"{"id":\#($0),"v":"a","seq":\#($0)}"# }.joined(separator: "\n") + "\n"
        _ = FileManager.default.createFile(atPath: dir + "/d.jsonl", contents: Data(lines.utf8))
        let args = ["load", "d.jsonl", "--table", "t", "--write-disposition", "merge", "--primary-key", "id",
                    "--merge-strategy", "upsert", "--incremental", "seq", "--initial-value", "3"]
        #expect(try cli.sluice(args, in: dir).status == 0)
        #expect(try cli.sqlite(dir + "/t.sqlite", "select group_concat(id) from t") == "3,4,5")
        let state = try cli.sluice(["state", "t"], in: dir)
        #expect(state.output.contains("t: cursor seq = 5"))
        let reset = try cli.sluice(["reset", "t", "--resource", "t"], in: dir)
        #expect(reset.status == 0, "\(reset.output)")
        #expect(try cli.sluice(["state", "t"], in: dir).output.contains("no resource state"))
    }
}

@Suite("sluice command: schema as data")
struct CLISchemaTests {
    let cli = CLITests()

    @Test func exportsAndImportsSchemas() throws {
        let dir = try cli.scratch()
        _ = FileManager.default.createFile(atPath: dir + "/a.jsonl", contents: Data(#"{"id":1,"name":"x","tags":["a"]}"#.utf8 + [0x0A]))
        #expect(try cli.sluice(["load", "a.jsonl", "--table", "t"], in: dir).status == 0)
        let yaml = try cli.sluice(["schema", "t", "--format", "yaml"], in: dir).output
        #expect(yaml.contains("  - name: t\n    write_disposition: append\n    columns:\n      - name: id\n        data_type: bigint\n"))
        #expect(yaml.contains("  - name: t__tags\n    parent: t\n"))
        let json = try cli.sluice(["schema", "t"], in: dir).output
        #expect(json.contains("\"data_type\" : \"bigint\""))
        // Pin a column's type before data arrives: an integer zip code stays text.
        try #"{"name": "t", "tables": [{"name": "t", "columns": [{"name": "zip", "data_type": "text"}]}]}"#
            .write(toFile: dir + "/pin.json", atomically: true, encoding: .utf8)
        let imported = try cli.sluice(["schema", "t", "--import", "pin.json"], in: dir)
        #expect(imported.status == 0, "\(imported.output)")
        _ = FileManager.default.createFile(atPath: dir + "/b.jsonl", contents: Data(#"{"id":2,"zip":1000}"#.utf8 + [0x0A]))
        #expect(try cli.sluice(["load", "b.jsonl", "--table", "t"], in: dir).status == 0)
        #expect(try cli.sqlite(dir + "/t.sqlite", "select typeof(zip) || ':' || zip from t where id = 2") == "text:1000")
        let bad = try cli.sluice(["schema", "t", "--import", "a.jsonl"], in: dir)
        #expect(bad.status != 0 && bad.output.contains("a.jsonl: not a schema of pipeline t"))
    }
}

extension CLISchemaTests {
    /// A full refresh drops a pipeline's data and state, not its definition: one made by `sluice load`
    /// is still listed and runs again (its `load.json` was removed with the state).
    @Test func aFullRefreshKeepsWhatSluiceLoadRecorded() throws {
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/s.jsonl", contents: Data(#"{"x":1}"#.utf8 + [0x0A] + #"{"x":2}"#.utf8 + [0x0A]))
        #expect(try cli.sluice(["load", "s.jsonl", "--table", "t"], in: dir).status == 0)
        let refreshed = try cli.sluice(["run", "t", "--full-refresh"], in: dir)
        #expect(refreshed.status == 0, "\(refreshed.output)")
        let listed = try cli.sluice(["pipelines"], in: dir).output
        #expect(listed.contains("t         sluice load  sqlite"), "\(listed)")
        let again = try cli.sluice(["run", "t"], in: dir)
        #expect(again.status == 0, "\(again.output)")
        #expect(try cli.sqlite(dir + "/t.sqlite", "select count(*) from t") == "4")  // refreshed to 2, then 2 more
        // A refresh whose load then fails says that it dropped the tables first.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/s.jsonl"))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"x":"#.utf8 + [0x0A]))
        try handle.close()
        let failed = try cli.sluice(["run", "t", "--full-refresh"], in: dir)
        #expect(failed.status != 0)
        #expect(failed.output.contains("s.jsonl:3: malformed JSON") && failed.output.contains(
            "the full refresh dropped the pipeline's tables and state before this run: they stay empty until a run succeeds"), "\(failed.output)")
    }
}

@Suite("sluice command: Postgres", .enabled(if: TestPostgres.available))
struct CLIPostgresTests {
    let cli = CLITests()

    @Test func loadsIntoPostgresWithCredentialsFromTheEnvironment() throws {
        let dir = try cli.scratch()
        let connection = try #require(TestPostgres.connection, "SLUICE_TEST_POSTGRES is not set: run the tests through scripts/test")
        let password = connection.split(separator: " ").first { $0.hasPrefix("password=") }!.dropFirst("password=".count)
        _ = FileManager.default.createFile(atPath: dir + "/e.jsonl", contents: Data("{\"id\":1,\"tags\":[\"a\"]}\n{\"id\":2}\n".utf8))
        let dataset = "cli_" + UUID().uuidString.prefix(8).lowercased()
        let env = ["DESTINATION__POSTGRES__CREDENTIALS": connection]
        let result = try cli.sluice(["load", "e.jsonl", "--table", "events", "--destination", "postgres", "--dataset", dataset, "-v"],
                                    in: dir, environment: env)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("loaded to postgres at sluice@127.0.0.1"))
        #expect(!result.output.contains(String(password)))
        let show = try cli.sluice(["show", "events", "--destination", "postgres", "--dataset", dataset], in: dir, environment: env)
        #expect(show.status == 0, "\(show.output)")
        #expect(show.output.contains("events (2 rows, append)") && show.output.contains("events__tags (1 row,"))
        #expect(!show.output.contains(String(password)))
        // The same pipeline, switched back to SQLite, needs no code change.
        #expect(try cli.sluice(["load", "e.jsonl", "--table", "events", "--dataset", dataset], in: dir).status == 0)
        #expect(try cli.sqlite(dir + "/events.sqlite", "select count(*) from events") == "2")
        // A wrong password: a clear error that does not show it.
        let wrong = connection.replacingOccurrences(of: "password=\(password)", with: "password=wrong-pw-91c2")
        let failed = try cli.sluice(["load", "e.jsonl", "--table", "x", "--destination", "postgres", "--dataset", dataset],
                                    in: dir, environment: ["DESTINATION__POSTGRES__CREDENTIALS": wrong])
        #expect(failed.status != 0 && failed.output.contains("password authentication failed"))
        #expect(!failed.output.contains("wrong-pw-91c2"))
    }
}
