import SluiceTesting
import Destinations
import Foundation
import DatabaseClients
import PipelineCore
import Pipelines
import Sources
import Testing

/// Items 9 and 10 of issue 9 on a real Postgres: NUL in text, a package the server rejects, two first
/// loads into one new schema, a server that is unreachable for a while.
@Suite("Postgres load failures", .enabled(if: TestPostgres.available))
struct PostgresLoadFailureTests {
    func file(_ p: PostgresPipeline, _ name: String, _ text: String) -> String {
        let path = p.dir + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func dropSchema(_ p: PostgresPipeline) {
        _ = try? p.destination.withConnection { try $0.execute("DROP SCHEMA IF EXISTS \"\(p.destination.dataset)\" CASCADE") }
        try? FileManager.default.removeItem(atPath: p.dir)
    }

    @Test func nulInTextIsCaughtAtExtractWithFileLineAndColumn() async throws {
        let p = try PostgresPipeline()
        defer { dropSchema(p) }
        let path = file(p, "people.jsonl", #"{"id":1,"name":"ok"}"# + "\n" + #"{"id":2,"tags":["x"],"profile":{"bio":"a\u0000b"}}"# + "\n")
        await #expect {
            try await p.pipeline.run(Source(name: "f", resources: [try FileResource.make(name: "people", paths: [path])]))
        } throws: { error in
            let e = error as! SluiceError
            return e.code == .badInput && e.file == path && e.line == 2 && e.column == "profile.bio"
                && e.message.contains("NUL character") && e.message.contains("postgres")
        }
        // Nothing was left behind to block the next run.
        #expect(try p.pipeline.packages().isEmpty)
        try await p.run("people", [["id": 3, "name": "next"]])
        #expect(try p.query("SELECT name FROM \(p.table("people"))") == [["next"]])
    }

    @Test func aPackageTheCopyRejectsIsSetAsideAndTheNextRunProceeds() async throws {
        let p = try PostgresPipeline()
        defer { dropSchema(p) }
        // Extracted and normalized for SQLite (which holds NUL), then loaded into Postgres: only the COPY can reject it.
        let sqlite = Pipeline(name: p.pipeline.name, destination: SQLiteDestination(path: p.dir + "/x.sqlite"),
                              dataset: p.destination.dataset, configuration: p.pipeline.configuration)
        try await sqlite.extract(Source(name: "t", resources: [Resource(name: "notes") { out in
            try await out.write(["id": 1, "body": "a\u{0}b"])
        }]))
        try await sqlite.normalize()
        await #expect {
            try await p.pipeline.load()
        } throws: { error in
            let e = error as! SluiceError
            return e.code == .badInput && e.stage == "load" && e.message.contains("set aside") && e.message.contains("0x00")
        }
        let failed = try p.pipeline.packages()
        #expect(failed.count == 1 && failed[0].stage == .failed && failed[0].failedStage == "load")
        #expect(failed[0].error?.contains("0x00") == true)
        // The next run (and a reset) proceed.
        var hints = ResourceHints()
        hints.incremental = Incremental(cursor: "id")
        try await p.run("notes", [["id": 2, "body": "fine"]], hints: hints)
        try await p.pipeline.resetResource("notes")
        #expect(try p.query("SELECT id::text, body FROM \(p.table("notes"))") == [["2", "fine"]])
        try p.pipeline.dropPackage(failed[0].loadId)
        #expect(try p.pipeline.packages().isEmpty)
    }

    @Test func twoFirstLoadsIntoOneNewSchemaBothSucceed() async throws {
        for _ in 0..<6 {
            let a = try PostgresPipeline()
            let b = PostgresPipeline(dataset: a.destination.dataset, name: "pg_b")
            defer {
                dropSchema(a)
                try? FileManager.default.removeItem(atPath: b.dir)
            }
            async let first = a.run("left", [["id": 1]])
            async let second = b.run("right", [["id": 2]])
            _ = try await (first, second)
            let loads = try a.query("SELECT load_id, schema_name FROM \(a.table("_dlt_loads")) ORDER BY schema_name")
            #expect(loads.map { $0[1] } == ["pg", "pg_b"], "\(loads)")
            #expect(try a.query("SELECT id::text FROM \(a.table("left")) UNION ALL SELECT id::text FROM \(a.table("right"))") == [["1"], ["2"]])
        }
    }

    @Test func connectingIsRetriedWhileTheServerIsUnreachable() async throws {
        let p = try PostgresPipeline()
        defer { dropSchema(p) }
        // Reach the server through a socket folder that is empty at first (as while a server restarts) and
        // gets the server's socket a moment later.
        let (socketDirectory, port) = try p.destination.withConnection { db in
            (try db.query("SHOW unix_socket_directories")[0][0]!, try db.query("SHOW port")[0][0]!)
        }
        let folder = "/tmp/sluice-sock-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var credentials = p.destination.credentials
        credentials.host = folder
        var destination = PostgresDestination(credentials: credentials, dataset: p.destination.dataset)
        destination.connectRetryDelays = Array(repeating: .milliseconds(200), count: 25)
        let pipeline = Pipeline(name: "pg", destination: destination, configuration: p.pipeline.configuration)
        async let appears: Void = {
            try await Task.sleep(for: .milliseconds(700))
            try FileManager.default.createSymbolicLink(atPath: folder + "/.s.PGSQL.\(port)",
                                                       withDestinationPath: socketDirectory.split(separator: ",")[0] + "/.s.PGSQL.\(port)")
        }()
        let start = ContinuousClock.now
        _ = try await pipeline.run(Source(name: "t", resources: [Resource(name: "events") { out in try await out.write(["id": 1]) }]))
        try await appears
        #expect(ContinuousClock.now - start >= .milliseconds(600))
        #expect(try p.query("SELECT count(*)::text FROM \(p.table("events"))") == [["1"]])
    }
}
