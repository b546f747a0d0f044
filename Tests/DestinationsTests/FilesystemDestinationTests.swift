import Destinations
import Foundation
import PipelineCore
import Pipelines
import Sources
import Testing

@Suite("filesystem destination")
struct FilesystemDestinationTests {
    /// What JSON Lines holds for a source row: timestamps and dates as ISO text, decimals as numbers, json as objects.
    func jsonForm(_ row: Row) -> Row {
        Row(row.fields.compactMap { field -> Row.Field? in
            switch field.value {
            case .null, .array: return nil
            case .timestamp, .date: return Row.Field(field.name, .text(field.value.textForm))
            case .decimal(let s): return Row.Field(field.name, .double(Double(s)!))
            default: return field
            }
        })
    }

    @Test(arguments: [FilesystemDestination.Compression.none, .gzip])
    func jsonLinesReadBackEqualTheSourceRows(compression: FilesystemDestination.Compression) async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.jsonl) { $0.compression = compression }
        _ = try await bucket.pipeline(destination).run(FilesystemFixtures.source(7))
        let files = bucket.dataFiles("items")
        #expect(files.count == 1)
        #expect(files[0].hasSuffix(compression == .gzip ? ".jsonl.gz" : ".jsonl"))
        let rows = try await FilesystemFixtures.read(files)
        #expect(rows.map(FilesystemFixtures.data) == FilesystemFixtures.rows(7).map(jsonForm))
        // The list became the child table, in files of its own.
        let tags = try await FilesystemFixtures.read(bucket.dataFiles("items__tags"))
        #expect(tags.count == 14)
        #expect(tags.first?["value"] == .text("a1") && tags.first?["_dlt_list_idx"] == .bigint(0))
        #expect(Set(tags.compactMap { $0["_dlt_parent_id"] }) == Set(rows.compactMap { $0["_dlt_id"] }))
    }

    @Test(arguments: [FilesystemDestination.Compression.none, .gzip])
    func csvReadBackEqualsTheSourceRowsWithTypesAndNulls(compression: FilesystemDestination.Compression) async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.csv) { $0.compression = compression }
        let pipeline = bucket.pipeline(destination)
        _ = try await pipeline.run(FilesystemFixtures.source(7))
        let schema = try #require(try await destination.storedSchema(named: "events"))
        let table = try #require(schema.table(named: "items"))
        // The header names every column of the table, in order.
        if compression == .none {
            let header = try String(contentsOfFile: bucket.dataFiles("items")[0], encoding: .utf8).split(separator: "\n").first
            #expect(header.map(String.init) == table.columns.map(\.name).joined(separator: ","))
        }
        var types: [String: DataType] = [:]
        for c in table.columns where c.dataType != .json { types[c.name] = c.dataType }
        let rows = try await FilesystemFixtures.read(bucket.dataFiles("items"), csvTypes: types)
        let expected = FilesystemFixtures.rows(7).map { row in
            Row(table.columns.filter { !$0.name.hasPrefix("_dlt_") }.map { c -> Row.Field in
                let value = row[c.name] ?? .null
                if case .object = value { return Row.Field(c.name, .text(JSONText.encode(value))) }
                return Row.Field(c.name, value)
            })
        }
        #expect(rows.map { Row($0.fields.filter { !$0.name.hasPrefix("_dlt_") }) } == expected)
        #expect(rows[1]["name"] == .text("") && rows[2]["name"] == .null)
    }

    /// Values of several MiB (longer than the writer's 1 MiB buffer), with characters JSON and CSV escape.
    @Test(arguments: [FilesystemDestination.FileFormat.jsonl, .csv], [FilesystemDestination.Compression.none, .gzip])
    func rowsLongerThanTheWriteBufferReadBackWhole(format: FilesystemDestination.FileFormat,
                                                   compression: FilesystemDestination.Compression) async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(format) { $0.compression = compression }
        let texts = [3 << 20, 10, 5 << 19].enumerated().map { k, n in
            String(repeating: "ab\"c,\n\\\u{1}é😀 \(k)", count: n / 16)
        }
        _ = try await bucket.pipeline(destination).run(Source(name: "s", resources: [Resource(name: "docs") { out in
            for (k, text) in texts.enumerated() { try await out.write(["k": .bigint(Int64(k)), "body": .text(text)]) }
        }]))
        let rows = try await FilesystemFixtures.read(bucket.dataFiles("docs"), csvTypes: format == .csv ? ["k": .bigint] : nil)
        #expect(rows.map { $0["k"] } == [.bigint(0), .bigint(1), .bigint(2)])
        #expect(rows.map { $0["body"] } == texts.map { Value.text($0) })
    }

    @Test func replaceLeavesOnlyTheNewFilesOfTheTableAndItsChildren() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.jsonl) { $0.fileMaxItems = 2 }
        let pipeline = bucket.pipeline(destination)
        _ = try await pipeline.run(FilesystemFixtures.source(5, disposition: .replace))
        let first = (bucket.dataFiles("items"), bucket.dataFiles("items__tags"))
        #expect(first.0.count == 3 && first.1.count == 5)  // 5 rows, 10 tags, 2 a file
        _ = try await pipeline.run(FilesystemFixtures.source(3, disposition: .replace, offset: 100))
        let second = (bucket.dataFiles("items"), bucket.dataFiles("items__tags"))
        #expect(Set(second.0).isDisjoint(with: first.0) && Set(second.1).isDisjoint(with: first.1))
        let rows = try await FilesystemFixtures.read(second.0)
        #expect(Set(rows.compactMap { $0["id"] }) == [.bigint(101), .bigint(102), .bigint(103)] && rows.count == 3)
        #expect(try await FilesystemFixtures.read(second.1).count == 6)
        // Append adds files beside them.
        _ = try await pipeline.run(FilesystemFixtures.source(1))
        #expect(bucket.dataFiles("items").count == second.0.count + 1)
    }

    @Test func rotationByRowsAndBytes() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        _ = try await bucket.pipeline(try bucket.destination(.csv) { $0.fileMaxBytes = 400 }).run(FilesystemFixtures.source(20))
        let files = bucket.dataFiles("items")
        #expect(files.count > 2)
        let rows = try await FilesystemFixtures.read(files, csvTypes: ["id": .bigint])
        // File ids do not sort in write order; every row is there once.
        #expect(rows.compactMap { row -> Int64? in if case .bigint(let i)? = row["id"] { i } else { nil } }.sorted() == Array(1...20))
    }

    @Test func mergeIsRefusedNamingTheDestinationsThatMerge() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let source = Source(name: "s", resources: [Resource(name: "items", hints: ResourceHints(writeDisposition: .merge, primaryKey: ["id"])) { out in
            try await out.write(contentsOf: [["id": 1] as Row])
        }])
        let error = await #expect(throws: SluiceError.self) { try await bucket.pipeline(try bucket.destination()).run(source) }
        #expect(error?.message.contains("merge is supported by sqlite and postgres") == true)
        #expect(error?.table == "items" && error?.stage == nil)
        // Refused before the run lock, a package or any file: not even the bucket's folder exists.
        #expect(!FileManager.default.fileExists(atPath: bucket.root))
        #expect(!FileManager.default.fileExists(atPath: bucket.dir + "/w1/.sluice"))
    }

    @Test func stateAndSchemaRestoreFromTheFilesystemOnAFreshMachine() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.parquet)
        let hints = ResourceHints(incremental: Incremental(cursor: "id"))
        func source(_ ids: ClosedRange<Int>) -> Source {
            Source(name: "s", resources: [Resource(name: "items", hints: hints) { out in
                try await out.write(contentsOf: ids.map { ["id": .bigint(Int64($0))] as Row })
            }])
        }
        let first = try await bucket.pipeline(destination, workdir: "ci-1").run(source(1...10))
        #expect(first.packages.first?.rowCounts.first?.1 == 10)
        // A fresh working directory (a new CI machine): the state comes from the bucket.
        let fresh = bucket.pipeline(try bucket.destination(.parquet), workdir: "ci-2")
        let state = try await fresh.currentState()
        #expect(state.resources["items"]?.cursor?.lastValue != nil)
        #expect(try await fresh.currentSchema().table(named: "items") != nil)
        let second = try await fresh.run(source(1...15))
        #expect(second.packages.first?.rowCounts.first?.1 == 5)
        // The first machine's state is behind: its package would conflict, so it extracts again from the bucket's.
        let third = try await bucket.pipeline(destination, workdir: "ci-1").run(source(1...15))
        #expect(third.packages.allSatisfy { $0.rowCounts.isEmpty })
        #expect(bucket.files("_dlt_loads").count == 2)
        #expect(try await destination.tableHasRows("items") == true)
        #expect(try await destination.tableHasRows("nothing") == false)
    }

    @Test func aStaleStateIsAConflictAndNothingIsPublished() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination()
        let dir = bucket.dir + "/pkg"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let writer = try PackageFileWriter(path: dir + "/rows")
        try writer.writeFlatRow([(0, .bigint(1))])
        try writer.sync()
        let schema = Schema(name: "events", version: 1, tables: [TableSchema(name: "t", columns: [ColumnSchema(name: "id", dataType: .bigint)])])
        var state = PipelineState(pipeline: "events").successor(resources: [:])
        state = state.successor(resources: [:])  // computed from a version the bucket never held
        let package = NormalizedPackage(loadId: "1700000000.000001", dataset: "shop", schema: schema,
                                        files: [.init(table: "t", path: dir + "/rows", rowCount: 1)], replacedRoots: [], state: state)
        let error = await #expect(throws: SluiceError.self) { try await destination.load(package) }
        #expect(error?.code == .stateConflict)
        #expect(bucket.files().filter { !$0.hasPrefix("_sluice_locks") }.isEmpty)
    }

    @Test func layoutPlaceholdersAndTheirChecks() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.jsonl) { $0.layout = "{table}/{YYYY}/{MM}/{DD}/{load_id}.{file_id}.{ext}" }
        let pipeline = bucket.pipeline(destination)
        _ = try await pipeline.run(FilesystemFixtures.source(2, disposition: .replace))
        let files = bucket.files("items")
        #expect(files.count == 1 && files[0].split(separator: "/").count == 4 && files[0].hasPrefix("20"))
        _ = try await pipeline.run(FilesystemFixtures.source(2, disposition: .replace))
        #expect(bucket.files("items").count == 1 && bucket.files("items") != files)
        #expect(bucket.files("items__tags").count == 1)
        #expect(throws: SluiceError.self) { try bucket.destination { $0.layout = "{table}/{nope}.{ext}" } }
        #expect(throws: SluiceError.self) { try bucket.destination { $0.layout = "{load_id}.{file_id}.{ext}" } }
        #expect(throws: SluiceError.self) { try bucket.destination(.csv) { $0.compression = .snappy } }
        #expect(throws: SluiceError.self) { try bucket.destination { $0.bucketURL = "s3://bucket/x" } }
        #expect(try FilesystemDestination(dataset: "d", configuration: .init(bucketURL: "file://" + bucket.root)).location == bucket.root + "/d")
    }
}
