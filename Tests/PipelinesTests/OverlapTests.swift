import Destinations
import Foundation
import PipelineCore
import Pipelines
import SluiceTesting
import Synchronization
import Testing

/// Overlapped stages (issue 15): extract, normalize and load at once, `append` tables streamed into one
/// open transaction. They must load exactly what the stages run one after another load.
@Suite("overlapped stages on real SQLite")
struct OverlapTests {
    /// Three resources: `events` (append) whose rows grow a column, a list (a child table) and a type
    /// drift (a variant column) part-way; `people` (merge on id); `codes` (replace).
    static func source(round: Int) -> Source {
        let events = Resource(name: "events") { out in
            for i in 1...500 {
                var row: Row = ["id": .bigint(Int64(round * 1000 + i)), "name": .text("event \(i)")]
                if i > 200 {
                    row.fields.append(Row.Field("extra", i > 400 ? .text("n/a \(i)") : .double(Double(i) / 4)))
                    row.fields.append(Row.Field("tags", .array([.text("t\(i % 3)"), .text("u\(i % 5)")])))
                }
                try await out.write(row)
            }
        }
        let people = Resource(name: "people", hints: ResourceHints(writeDisposition: .merge, primaryKey: ["id"])) { out in
            for i in 1...60 { try await out.write(["id": .bigint(Int64(i + round * 30)), "seen": .bigint(Int64(round))]) }
        }
        let codes = Resource(name: "codes", hints: ResourceHints(writeDisposition: .replace)) { out in
            for i in 1...(20 - round) { try await out.write(["code": .text("c\(i)"), "round": .bigint(Int64(round))]) }
        }
        return Source(name: "mixed", resources: [events, people, codes])
    }

    /// Every table's rows without the columns that hold generated ids, sorted: comparable across runs.
    static func contents(_ t: TestPipeline) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for table in ["events", "events__tags", "people", "codes"] {
            let columns = try t.columns(table).filter { !$0.hasPrefix("_dlt_") || $0 == "_dlt_list_idx" }
            let list = columns.map { "coalesce(quote(\"\($0)\"), 'NULL')" }.joined(separator: " || '|' || ")
            out[table] = try t.query("SELECT \(list) FROM \"\(table)\"").map { $0[0] ?? "" }.sorted()
            out[table + " columns"] = columns
        }
        return out
    }

    @Test func overlappedAndOneAfterAnotherLoadTheSameTables() async throws {
        let overlapped = TestPipeline(), sequential = TestPipeline()
        defer {
            try? FileManager.default.removeItem(atPath: overlapped.dir)
            try? FileManager.default.removeItem(atPath: sequential.dir)
        }
        var small = overlapped.pipeline.configuration
        small.overlapBatchRows = 7  // many hand-overs, the schema growing between them
        let fast = Pipeline(name: "test", destination: overlapped.destination, configuration: small)
        var off = sequential.pipeline.configuration
        off.overlapStages = false
        let slow = Pipeline(name: "test", destination: sequential.destination, configuration: off)
        for round in 1...2 {
            let a = try await fast.run(Self.source(round: round))
            let b = try await slow.run(Self.source(round: round))
            #expect(a.packages.map(\.rowCounts.count) == b.packages.map(\.rowCounts.count))
            let (x, y) = (try Self.contents(overlapped), try Self.contents(sequential))
            #expect(x == y, "round \(round)")
            #expect(x["events"]?.count == 500 * round && x["people"]?.count == 60 + 30 * (round - 1) && x["codes"]?.count == 20 - round)
            #expect(x["events columns"] == ["id", "name", "extra", "extra__v_text"] && x["events__tags"]?.count == 600 * round, "\(x["events columns"] ?? [])")
            #expect(try overlapped.count("_dlt_loads") == round)
        }
        #expect(try await overlapped.schema().tables.map(\.name) == (try await sequential.schema()).tables.map(\.name))
    }

    @Test func appendTablesStreamAndTheRestLoadsAtTheCommit() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let recorder = SessionRecorder(t.destination)
        var configuration = t.pipeline.configuration
        configuration.overlapBatchRows = 50
        _ = try await Pipeline(name: "test", destination: recorder, configuration: configuration).run(Self.source(round: 1))
        #expect(Set(recorder.appended.withLock { $0 }) == ["events", "events__tags"])
        #expect(recorder.committed.withLock { $0 } == 1)
        #expect(try t.count("events") == 500 && t.count("people") == 60 && t.count("codes") == 19)
    }

    @Test func aSessionThatFailsIsTheFirstAttemptAndTheRetryLoadsOnce() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        var configuration = t.pipeline.configuration
        configuration.overlapBatchRows = 50
        configuration.loadRetryDelays = [.milliseconds(1)]
        let flaky = SessionRecorder(t.destination, failAtAppend: 3)
        let info = try await Pipeline(name: "test", destination: flaky, configuration: configuration).run(Self.source(round: 1))
        #expect(info.rows(in: "events") == 500)
        #expect(try t.count("events") == 500 && t.count("events__tags") == 600 && t.count("_dlt_loads") == 1)
    }

    @Test func withoutRetriesAFailedSessionLeavesThePackagePendingAndNothingLoaded() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        var configuration = t.pipeline.configuration
        configuration.overlapBatchRows = 50
        configuration.loadRetryDelays = []
        let flaky = Pipeline(name: "test", destination: SessionRecorder(t.destination, failAtAppend: 3), configuration: configuration)
        await #expect {
            try await flaky.run(Self.source(round: 1))
        } throws: { error in
            (error as? SluiceError)?.code == .transient && (error as? SluiceError)?.stage == "load"
        }
        #expect(try t.query("SELECT name FROM sqlite_master WHERE name = 'events'").isEmpty)
        #expect(t.pipeline.pendingPackages().normalized.count == 1)
        // The next run loads the pending package first, once.
        let info = try await t.pipeline.run(Source(name: "mixed", resources: []))
        #expect(info.packages.first?.resumed == true)
        #expect(try t.count("events") == 500 && t.count("_dlt_loads") == 1)
    }
}

/// What killed runs leave in the working directory, and names the file system cannot hold.
@Suite("package folders")
struct PackageFolderTests {
    @Test func aRunRemovesTheTemporaryPackagesOfKilledRuns() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        try await t.run("events", [["id": 1]])
        let packages = t.dir + "/.sluice/test/packages"
        for stage in ["extracted-tmp", "normalized-tmp"] {  // what a kill -9 mid-stage leaves
            try FileManager.default.createDirectory(atPath: packages + "/\(stage)/1796000000.000001", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: packages + "/\(stage)/1796000000.000001/0.items", contents: Data(count: 4096))
        }
        try await t.run("events", [["id": 2]])
        for stage in ["extracted-tmp", "normalized-tmp"] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: packages + "/" + stage).isEmpty, "\(stage)")
        }
        #expect(try t.count("events") == 2)
    }

    @Test func aChildTableNameTooLongForAFileStillLoads() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let key = String(repeating: "k", count: 260)  // the child table d__kkk... is past 255 bytes, a file name's limit
        try await t.run("d", [Row([Row.Field("id", .bigint(1)), Row.Field(key, .array([.bigint(1), .bigint(2)]))])])
        #expect(try t.count("d__" + key) == 2)
        #expect(try t.count("d") == 1)
    }
}

/// SQLite, recording what its sessions stream; with `failAtAppend`, the session's n-th append throws a
/// transient error once (a dropped connection, say).
final class SessionRecorder: ForwardingDestination, @unchecked Sendable {
    let base: SQLiteDestination
    let failAtAppend: Int?
    let appended = Mutex<[String]>([])
    let committed = Mutex(0)
    let failed = Mutex(false)

    init(_ base: SQLiteDestination, failAtAppend: Int? = nil) {
        self.base = base
        self.failAtAppend = failAtAppend
    }

    func beginLoad(schemaName: String, loadId: String) throws -> (any LoadSession)? {
        guard let session = try base.beginLoad(schemaName: schemaName, loadId: loadId) else { return nil }
        return Session(session, recorder: self)
    }

    final class Session: LoadSession {
        let inner: any LoadSession
        let recorder: SessionRecorder
        init(_ inner: any LoadSession, recorder: SessionRecorder) {
            self.inner = inner
            self.recorder = recorder
        }

        func append(_ table: TableSchema, rows next: (inout [UInt8]) throws -> Int?) throws {
            let n = recorder.appended.withLock { $0.append(table.name); return $0.count }
            if n == recorder.failAtAppend, !recorder.failed.withLock({ $0 }) {
                recorder.failed.withLock { $0 = true }
                throw SluiceError(.transient, "the connection dropped")
            }
            try inner.append(table, rows: next)
        }

        func commit(_ package: NormalizedPackage, streamed: Set<String>) throws {
            try inner.commit(package, streamed: streamed)
            recorder.committed.withLock { $0 += 1 }
        }

        func rollback() { inner.rollback() }
        func cancel() { inner.cancel() }
    }
}
