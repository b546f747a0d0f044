@testable import Destinations
import Foundation
import PipelineCore
import SluiceTesting
import Testing

/// What a bucket leaves behind after a killed load, and which `bucket_url` values it refuses (before any
/// file or lock exists), with errors that name the setting and where it was given.
@Suite("filesystem bucket: abandoned staging files, bucket_url")
struct FilesystemBucketTests {
    @Test(arguments: [
        (StagingName.Writer.dead, -60.0, true), (.dead, 60, true),
        (.thisProcessWriting, -60, false), (.thisProcessWriting, 60, false),
        (.thisProcessDone, -60, true), (.thisProcessDone, 60, false),
        (.otherAlive, -60, true), (.otherAlive, 60, false),
    ])
    func aStagingFileIsAbandonedOnlyWhenNoLiveWriterCanStillPublishIt(writer: StagingName.Writer, age: Double, abandoned: Bool) {
        let lockedSince = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(StagingName.isAbandoned(writer, modified: lockedSince.addingTimeInterval(age), lockedSince: lockedSince) == abandoned)
    }

    @Test func stagingNamesCarryTheWritersPid() {
        #expect(StagingName.make(for: "1.2.abc.parquet", pid: 42) == ".1.2.abc.parquet.42.tmp")
        #expect(StagingName.writer(of: ".1.2.abc.parquet.42.tmp") == 42)
        for other in ["1.2.abc.parquet", ".hidden", ".x.tmp", ".x.4a.tmp", "x.42.tmp", ".x.-3.tmp"] { #expect(StagingName.writer(of: other) == nil) }
    }

    @Test func aLoadRemovesTheStagingFilesOfKilledWritersAndKeepsThoseOfLiveOnes() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.jsonl)
        _ = try await bucket.pipeline(destination).run(FilesystemFixtures.source(3))
        let dead = try await TestProcesses.deadPid()
        let live = try TestProcesses.start("/bin/sleep", ["60"])
        defer { TestProcesses.stop(live) }
        let ours = getpid()
        let shop = bucket.root + "/shop"
        let hourAgo = Date().addingTimeInterval(-3600), inAnHour = Date().addingTimeInterval(3600)
        func plant(_ relative: String, modified: Date) throws {
            let path = shop + "/" + relative
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("partial".utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path)
        }
        let abandoned = [
            "items/.1.2.aaaaaaaaaa.parquet.\(dead).tmp",  // a killed writer's, in a table's folder
            "_dlt_loads/.s__1.2.jsonl.\(dead).tmp",  // and beside the markers
            "items__tags/.1.2.bbbbbbbbbb.parquet.\(live.processIdentifier).tmp",  // older than our lock: its pid was reused
            "items/.1.2.cccccccccc.parquet.\(ours).tmp",  // our pid, but not a file we are writing (an earlier process's)
        ]
        for path in abandoned { try plant(path, modified: hourAgo) }
        // A live process's file written after we took the lock (a writer we cannot see locking) stays.
        let liveWriter = "items/.1.2.dddddddddd.parquet.\(live.processIdentifier).tmp"
        try plant(liveWriter, modified: inAnHour)
        // A file this process is writing stays, however old.
        let writing = try destination.storage.stagingPath(for: "shop/items/9.9.eeeeeeeeee.parquet")
        defer { destination.storage.discard(staging: writing) }
        try Data("half".utf8).write(to: URL(fileURLWithPath: writing))
        try FileManager.default.setAttributes([.modificationDate: hourAgo], ofItemAtPath: writing)

        _ = try await bucket.pipeline(destination).run(FilesystemFixtures.source(3, offset: 3))
        let left = try #require(FileManager.default.subpaths(atPath: shop)).filter { $0.hasSuffix(".tmp") }.sorted()
        #expect(left == [liveWriter, "items/" + (writing as NSString).lastPathComponent].sorted())
        // The load itself completed: six rows in two loads.
        let published = bucket.dataFiles("items").filter { !($0 as NSString).lastPathComponent.hasPrefix(".") }
        #expect(try await FilesystemFixtures.read(published).count == 6)
    }

    @Test(arguments: [
        ("", "is empty"),
        ("   ", "is empty"),
        ("file://", "is empty"),
        ("file://fileserver/share/x", "the host fileserver is not supported"),
        ("s3://bucket/x", "the scheme s3:// is not supported yet"),
    ])
    func badBucketURLsAreRefusedNamingTheSettingAndItsOrigin(value: String, problem: String) throws {
        let error = try #require(throws: SluiceError.self) { try destination(value, origin: "--bucket-url") }
        #expect(error.description.contains("bucket_url \"\(value)\" (set by --bucket-url)") && error.description.contains(problem), "\(error)")
    }

    /// A relative bucket folder not made yet is checked from the nearest folder that exists (the working
    /// directory for a bare name): one-letter names trapped in Foundation's path functions. Nothing is created.
    @Test func relativeBucketsNotMadeYetAreCheckedFromTheirNearestFolder() throws {
        #expect(LocalFileStorage.parent(of: "b") == ".")
        #expect(LocalFileStorage.parent(of: "x/b") == "x")
        #expect(LocalFileStorage.parent(of: "x/b/") == "x")
        #expect(LocalFileStorage.parent(of: "/b") == "/")
        #expect(LocalFileStorage.parent(of: "/") == "/")
        let name = "sluice-unmade-" + String(UInt32.random(in: 0...UInt32.max))
        for bucket in ["b", "\(name)/b", "\(name)/x/y"] {
            #expect(throws: Never.self) { _ = try LocalFileStorage(bucketURL: bucket) }
        }
        #expect(!FileManager.default.fileExists(atPath: name))
    }

    @Test func fileURLsOfThisMachineAreFolders() throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        #expect(try destination("file://" + bucket.dir + "/a").location == bucket.dir + "/a/shop")
        #expect(try destination("file://localhost" + bucket.dir + "/b/").location == bucket.dir + "/b/shop")
        #expect(try destination("file://LOCALHOST" + bucket.dir + "/with%20space").location == bucket.dir + "/with space/shop")
    }

    @Test func aBucketThatIsAFileOrCannotBeWrittenIsRefusedBeforeAnythingIsCreated() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let file = bucket.dir + "/plain"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let origin = "[destination.filesystem] bucket_url in sluice.toml"
        var error = try #require(throws: SluiceError.self) { try destination(file, origin: origin) }
        #expect(error.description.contains("bucket_url \"\(file)\" (set by \(origin)) names a file, not a folder"), "\(error)")
        error = try #require(throws: SluiceError.self) { try destination(file + "/sub") }
        #expect(error.description.contains("\(file) is a file, not a folder"), "\(error)")

        let readOnly = bucket.dir + "/ro"
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
        guard await TestProcesses.makeReadOnly(readOnly) else { return }  // a filesystem without immutable folders
        var messages: [String] = []
        for path in [readOnly, readOnly + "/deeper/bucket"] {
            do { _ = try destination(path, origin: "DESTINATION__FILESYSTEM__BUCKET_URL") } catch { messages.append("\(error)") }
        }
        await TestProcesses.undoReadOnly(readOnly)
        #expect(messages.count == 2)
        for (path, message) in zip([readOnly, readOnly + "/deeper/bucket"], messages) {
            #expect(message.contains("bucket_url \"\(path)\" (set by DESTINATION__FILESYSTEM__BUCKET_URL) is not writable"), "\(message)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: readOnly).isEmpty)
    }

    @Test func otherSettingErrorsNameWhereTheyWereGiven() throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        var error = try #require(throws: SluiceError.self) {
            try bucket.destination {
                $0.layout = "{table}/{nope}.{file_id}"
                $0.origins["layout"] = "[destination.filesystem] layout in sluice.toml"
            }
        }
        #expect(error.description.contains("layout \"{table}/{nope}.{file_id}\" (set by [destination.filesystem] layout in sluice.toml): "
            + "unknown placeholder {nope}"), "\(error)")
        error = try #require(throws: SluiceError.self) { try bucket.destination { $0.fileMaxItems = 0; $0.origins["file_max_items"] = "--x" } }
        #expect(error.description.contains("file_max_items \"0\" (set by --x) must be at least 1"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: bucket.root))
    }

    func destination(_ bucketURL: String, origin: String? = nil) throws -> FilesystemDestination {
        var configuration = FilesystemDestination.Configuration(bucketURL: bucketURL)
        configuration.origins["bucket_url"] = origin
        return try FilesystemDestination(dataset: "shop", configuration: configuration)
    }
}
