import Destinations
import Foundation
import PipelineCore
import Pipelines
import SluiceTesting
import Synchronization
import Testing

/// The filesystem destination's load session: with the stages overlapped (the default), the files of
/// `append` tables are written while the package is still being normalized, and published at the commit.
@Suite struct FilesystemSessionTests {
    /// `n` rows `id`, `name`; from the middle on a column `late` appears. `failAt`: the source throws there.
    static func source(_ n: Int, failAt: Int? = nil) -> Source {
        Source(name: "s", resources: [Resource(name: "items") { out in
            for i in 1...n {
                if i == failAt { throw SluiceError(.badInput, "the source broke at row \(i)") }
                var row: Row = ["id": .bigint(Int64(i)), "name": .text("n\(i)")]
                if i > n / 2 { row.append("late", .text("l\(i)")) }
                try await out.write(row)
            }
        }])
    }

    /// Handed to the load stage every 256 rows (the default is 65,536), or not overlapped at all.
    static func configure(overlap: Bool) -> (inout Pipeline.Configuration) -> Void {
        { configuration in
            configuration.overlapStages = overlap
            configuration.overlapBatchRows = 256
        }
    }

    /// The rows of `files` as `id`, `name`, `late` text (`-` for none), sorted by id.
    static func rows(_ files: [String], format: FilesystemDestination.FileFormat) async throws -> [String] {
        let read = try await FilesystemFixtures.read(files, csvTypes: format == .csv ? ["id": .bigint] : nil)
        return read.map { row in
            ["id", "name", "late"].map { key in row[key].map { $0.isNull ? "-" : $0.textForm } ?? "-" }.joined(separator: " ")
        }.sorted { Int($0.split(separator: " ")[0])! < Int($1.split(separator: " ")[0])! }
    }

    static func expected(_ n: Int) -> [String] { (1...n).map { "\($0) n\($0) " + ($0 > n / 2 ? "l\($0)" : "-") } }

    @Test(arguments: [FilesystemDestination.FileFormat.jsonl, .csv])
    func rowsWrittenWhileNormalizingEqualAWholePackageLoad(format: FilesystemDestination.FileFormat) async throws {
        let overlapped = try Bucket(), sequential = try Bucket()
        defer { overlapped.remove(); sequential.remove() }
        let info = try await overlapped.pipeline(try overlapped.destination(format), Self.configure(overlap: true)).run(Self.source(3000))
        _ = try await sequential.pipeline(try sequential.destination(format), Self.configure(overlap: false)).run(Self.source(3000))
        #expect(info.packages.first?.rowCounts.first?.1 == 3000)
        let streamedFiles = overlapped.dataFiles("items"), wholeFiles = sequential.dataFiles("items")
        #expect(try await Self.rows(streamedFiles, format: format) == Self.expected(3000))
        #expect(try await Self.rows(wholeFiles, format: format) == Self.expected(3000))
        // A whole package is written with the table's final columns; rows written as they come start a new
        // file when `late` appears (a file's columns are fixed when it begins).
        #expect(wholeFiles.count == 1)
        #expect(streamedFiles.count == 2)
        if format == .csv {
            let headers = try streamedFiles.map { try String(contentsOfFile: $0, encoding: .utf8).prefix { $0 != "\n" } }.sorted()
            #expect(headers == ["id,name,_dlt_load_id,_dlt_id", "id,name,_dlt_load_id,_dlt_id,late"])
        }
        // Nothing staged is left behind, and the load is complete (its marker exists).
        #expect(!overlapped.files().contains { ($0 as NSString).lastPathComponent.hasPrefix(".") })
        #expect(overlapped.files("_dlt_loads").count == 1)
    }

    @Test(.enabled(if: ParquetPython.shouldRun, "needs SLUICE_PARQUET_PYTHON (pyarrow, duckdb)"))
    func parquetFilesWrittenWhileNormalizingReadBackByName() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        _ = try await bucket.pipeline(try bucket.destination(.parquet), Self.configure(overlap: true)).run(Self.source(3000))
        // DuckDB over the table's folder, columns matched by name (files of earlier loads differ the same way).
        let output = try await ParquetPython.run("""
            import sys, duckdb
            rows = duckdb.sql("SELECT id, name, coalesce(late, '-') FROM read_parquet('" + sys.argv[1] + "/*.parquet', union_by_name = true) ORDER BY id").fetchall()
            print("\\n".join(f"{i} {n} {l}" for i, n, l in rows))
            """, [bucket.root + "/shop/items"])
        #expect(output.split(separator: "\n").map(String.init) == Self.expected(3000))
        #expect(bucket.dataFiles("items").count == 2)
    }

    @Test func aRunThatFailsAfterRowsWereWrittenLeavesTheBucketAsItWas() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.jsonl)
        _ = try await bucket.pipeline(destination, Self.configure(overlap: true)).run(Self.source(10))
        let before = bucket.files().filter { !$0.hasPrefix("_sluice_locks/") }
        // 2,000 rows reach the session (eight hand-overs) before the source fails.
        await #expect(throws: SluiceError.self) {
            try await bucket.pipeline(destination, Self.configure(overlap: true)).run(Self.source(3000, failAt: 2001))
        }
        #expect(bucket.files().filter { !$0.hasPrefix("_sluice_locks/") } == before)
        // The lock is free again: the next run loads, and only its rows are added.
        _ = try await bucket.pipeline(destination, Self.configure(overlap: true)).run(Self.source(600))
        #expect(try await Self.rows(bucket.dataFiles("items"), format: .jsonl).count == 610)
        #expect(bucket.files("_dlt_loads").count == 2)
    }

    @Test func noSessionWhileAnotherLoadHoldsTheDatasetsCommitLock() throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.jsonl)
        // Another load (here, this test) holds the lock: no session, so the run loads its whole package once
        // normalized, waiting for the lock where a cancel reaches it.
        let other = try #require(try LocalFileStorage(bucketURL: bucket.root).tryLock("commit", in: "shop"))
        #expect(try destination.beginLoad(schemaName: "s", loadId: "1700000000.000001") == nil)
        other.release()
        let session = try #require(try destination.beginLoad(schemaName: "s", loadId: "1700000000.000001"))
        // The session holds the lock until it ends.
        #expect(try LocalFileStorage(bucketURL: bucket.root).tryLock("commit", in: "shop") == nil)
        session.rollback()
        #expect(try LocalFileStorage(bucketURL: bucket.root).tryLock("commit", in: "shop") != nil)
    }

    @Test func anAttemptKilledWhilePublishingLeavesNoRowsTwiceWhateverTheNextAttemptWrites() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        // The first attempt rotates every 100 rows and stops after publishing six of its ten files, as a kill
        // would; the next one rotates every 300 rows (four files): the first attempt's fifth and sixth files
        // have names the second does not write.
        let failing = FailingPublishes(try LocalFileStorage(bucketURL: bucket.root), succeeding: 7)  // the record, then six files
        var configuration = FilesystemDestination.Configuration(bucketURL: bucket.root)
        configuration.fileMaxItems = 100
        let first = try FilesystemDestination(dataset: "shop", configuration: configuration, storage: failing)
        await #expect(throws: SluiceError.self) { try await bucket.pipeline(first).run(Self.source(1000)) }
        #expect(bucket.dataFiles("items").count == 6)
        configuration.fileMaxItems = 300
        let second = try FilesystemDestination(dataset: "shop", configuration: configuration)
        _ = try await bucket.pipeline(second).load()
        let files = bucket.dataFiles("items")
        #expect(files.count == 4)
        #expect(try await Self.rows(files, format: .jsonl) == Self.expected(1000))
        #expect(bucket.files("_dlt_loads").count == 1)
        #expect(!bucket.files().contains { $0.hasSuffix(".publishing") })
    }
    @Test func aPublishingRecordNamingAnythingButThisLoadsFilesIsRefusedAndNothingIsRemoved() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        // A complete load, then an attempt at another stopped after publishing its record only, then the
        // record edited to name other files.
        let second = try bucket.destination(.jsonl)
        _ = try await bucket.pipeline(second).run(Self.source(10))
        let failing = FailingPublishes(try LocalFileStorage(bucketURL: bucket.root), succeeding: 1)
        let first = try FilesystemDestination(dataset: "shop", configuration: .init(bucketURL: bucket.root), storage: failing)
        await #expect(throws: SluiceError.self) { try await bucket.pipeline(first).run(Self.source(10)) }
        let records = try FileManager.default.contentsOfDirectory(atPath: bucket.root + "/shop/_dlt_loads").filter { $0.hasSuffix(".publishing") }
        #expect(records.count == 1)
        let record = bucket.root + "/shop/_dlt_loads/" + records[0]
        let outside = bucket.dir + "/outside.txt"
        try Data("keep".utf8).write(to: URL(fileURLWithPath: outside))
        // Earlier loads' files too: the schema's version file they share, a data file of another load.
        let version = try #require(bucket.files("_dlt_version").first)
        for text in [#"["shop/../../outside.txt"]"#, #"["../outside.txt"]"#, #"["shop/_dlt_loads/.x"]"#,
                     #"["shop/_dlt_version/\#(version)"]"#, #"["shop/items/1700000000.000001.0123456789.jsonl"]"#, "not json"]
        {
            try Data(text.utf8).write(to: URL(fileURLWithPath: record))
            let error = await #expect(throws: SluiceError.self) { try await bucket.pipeline(second).load() }
            #expect(error?.message.contains(text == "not json" ? "not a JSON list of paths" : "which is not a file of load") == true, "\(text)")
            #expect(error?.file?.hasSuffix(records[0]) == true)
            #expect(FileManager.default.fileExists(atPath: outside))
        }
        #expect(bucket.files("_dlt_version") == [version])
        // Removed by hand (no attempt was killed while publishing), the load completes.
        try FileManager.default.removeItem(atPath: record)
        _ = try await bucket.pipeline(second).load()
        #expect(try await Self.rows(bucket.dataFiles("items"), format: .jsonl).count == 20)
        #expect(bucket.files("_dlt_loads").count == 2)
    }

    @Test func theSessionOpensOnlyOnceTheSourceIsDoneSoASlowSourceHoldsNoLock() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let recorder = SessionOpenings(try bucket.destination(.jsonl))
        let source = Source(name: "s", resources: [Resource(name: "items") { out in
            // 4 MB: the extract stage's file is flushed to the normalize stage on the way.
            let pad = Value.text(String(repeating: "x", count: 2_000))
            for i in 1...2_000 { try await out.write(["id": .bigint(Int64(i)), "pad": pad] as Row) }
            // A source that stalls: it goes on as soon as a session opens, or after a second without one.
            // (A session opened at the first handed-over rows would open within milliseconds.)
            let deadline = ContinuousClock.now + .seconds(1)
            while recorder.openedAfterSource.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            recorder.sourceDone.withLock { $0 = true }
        }])
        _ = try await bucket.pipeline(recorder, Self.configure(overlap: true)).run(source)
        // Opened (rows were handed over meanwhile), and only after the source ended.
        #expect(recorder.openedAfterSource.withLock { $0 } == [true])
        #expect(try await Self.rows(bucket.dataFiles("items"), format: .jsonl).count == 2_000)
    }
}

/// The filesystem destination, noting at each session it opens whether the source had ended.
final class SessionOpenings: ForwardingDestination, @unchecked Sendable {
    let base: FilesystemDestination
    let sourceDone = Mutex(false)
    let openedAfterSource = Mutex<[Bool]>([])
    init(_ base: FilesystemDestination) { self.base = base }
    func beginLoad(schemaName: String, loadId: String) throws -> (any LoadSession)? {
        let done = sourceDone.withLock { $0 }
        openedAfterSource.withLock { $0.append(done) }
        return try base.beginLoad(schemaName: schemaName, loadId: loadId)
    }
}

/// A local bucket whose `publish` fails after `succeeding` calls, as if the process were killed there.
final class FailingPublishes: FileStorage, @unchecked Sendable {
    let inner: LocalFileStorage
    private let left: Mutex<Int>

    init(_ inner: LocalFileStorage, succeeding: Int) {
        self.inner = inner
        left = Mutex(succeeding)
    }

    var location: String { inner.location }
    func stagingPath(for path: String) throws -> String { try inner.stagingPath(for: path) }
    func publish(staging: String, as path: String) throws {
        guard left.withLock({ $0 -= 1; return $0 >= 0 }) else { throw SluiceError(.io, "killed while publishing \(path)") }
        try inner.publish(staging: staging, as: path)
    }
    func discard(staging: String) { inner.discard(staging: staging) }
    func list(_ directory: String) throws -> [String] { try inner.list(directory) }
    func read(_ path: String) throws -> [UInt8]? { try inner.read(path) }
    func remove(_ path: String) throws { try inner.remove(path) }
    func withLock<T>(_ name: String, in directory: String, timeout: Duration, _ body: () async throws -> T) async throws -> T {
        try await inner.withLock(name, in: directory, timeout: timeout, body)
    }
    func tryLock(_ name: String, in directory: String) throws -> StorageLock? { try inner.tryLock(name, in: directory) }
}
