import Destinations
import Foundation
import PipelineCore
import Pipelines
import Testing

/// `sluice show` on the filesystem destination: row counts read from the files of every format, the last
/// loads from their markers.
@Suite("filesystem destination inspected")
struct FilesystemInspectTests {
    static let formats: [(FilesystemDestination.FileFormat, FilesystemDestination.Compression)] = [
        (.jsonl, .none), (.jsonl, .gzip), (.csv, .none), (.csv, .gzip), (.parquet, .snappy), (.parquet, .zstd), (.parquet, .none),
    ]

    @Test(arguments: 0..<formats.count)
    func rowCountsComeFromTheFilesOfEveryFormat(format k: Int) async throws {
        let (format, compression) = Self.formats[k]
        let bucket = try Bucket()
        defer { bucket.remove() }
        // Three files a table for 25 rows; names hold quotes and line ends (a CSV record spans lines).
        let destination = try bucket.destination(format) {
            $0.compression = compression
            $0.fileMaxItems = 10
        }
        #expect(try await destination.rowCount("items") == nil)  // nothing loaded
        #expect(try await destination.lastLoads(limit: 5).isEmpty)
        let pipeline = bucket.pipeline(destination)
        _ = try await pipeline.run(FilesystemFixtures.source(25))
        #expect(bucket.dataFiles("items").count == 3)
        #expect(try await destination.rowCount("items") == 25)
        #expect(try await destination.rowCount("items__tags") == 50)
        _ = try await pipeline.run(FilesystemFixtures.source(4, offset: 100))
        #expect(try await destination.rowCount("items") == 29)
        #expect(try await destination.rowCount("nothing") == 0)
        let loads = try await destination.lastLoads(limit: 5)
        #expect(loads.count == 2 && loads[0].loadId > loads[1].loadId)
        #expect(loads.allSatisfy { $0.insertedAt.hasSuffix("+00:00") })
        #expect(try await destination.lastLoads(limit: 1).map(\.loadId) == [loads[0].loadId])
    }

    @Test func aReplaceCountsOnlyTheNewFiles() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.csv)
        let pipeline = bucket.pipeline(destination)
        _ = try await pipeline.run(FilesystemFixtures.source(9, disposition: .replace))
        _ = try await pipeline.run(FilesystemFixtures.source(3, disposition: .replace))
        #expect(try await destination.rowCount("items") == 3)
        #expect(try await destination.rowCount("items__tags") == 6)
    }

    @Test func aFileThatIsNotWhatItsNameSaysIsAnErrorNamingIt() throws {
        #expect { try FileRowCounter.count(Array("not parquet".utf8), name: "t/1.abc.parquet") } throws: { error in
            "\(error)".contains("t/1.abc.parquet") && "\(error)".contains("not a readable Parquet file")
        }
        #expect(try FileRowCounter.count(Array("a,b\n\"x\ny\",1\n\"\"\"q\",2".utf8), name: "t.csv") == 2)
        #expect(try FileRowCounter.count(Array("{}\n{}\n{}".utf8), name: "t.jsonl") == 3)
    }
}
