@testable import Destinations
import Foundation
import PipelineCore
import Pipelines
import SluiceTesting
import Testing

/// Parquet files read back by pyarrow and DuckDB (`SLUICE_PARQUET_PYTHON`, made by `.ci/run`).
/// Serialized: each test starts Python (pyarrow's import alone is a CPU-second), and the machine has two cores.
@Suite("filesystem destination: Parquet read back by pyarrow and DuckDB", .serialized,
       .enabled(if: ParquetPython.shouldRun, "needs SLUICE_PARQUET_PYTHON, a Python with pyarrow and duckdb (.ci/run makes one)"))
struct FilesystemParquetTests {
    /// A value as the read-back script prints it.
    static func text(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bigint(let i): return String(i)
        case .double(let d): return d.description
        case .bool(let b): return b ? "true" : "false"
        case .text(let s): return JSONText.encode(.text(s))
        case .timestamp(let t): return Timestamps.formatTimestamp(t)
        case .date(let d): return Timestamps.formatDate(d)
        case .decimal(let s): return scaled(s)
        case .binary(let b): return b.map { String(format: "%02x", $0) }.joined()
        case .object, .array: return JSONText.encode(.text(JSONText.encode(value)))
        }
    }

    /// A decimal as DECIMAL(38, 9) prints: nine fraction digits.
    static func scaled(_ s: String) -> String {
        let negative = s.hasPrefix("-")
        let body = negative ? String(s.dropFirst()) : s
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        let integer = parts[0].isEmpty ? "0" : String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        let padded = fraction + String(repeating: "0", count: max(0, 9 - fraction.count))
        let isZero = integer.allSatisfy { $0 == "0" } && padded.allSatisfy { $0 == "0" }
        return (negative && !isZero ? "-" : "") + integer + "." + padded
    }

    @Test(arguments: [FilesystemDestination.Compression.snappy, .zstd, .none])
    func typedColumnsAndNullsReadBackByPyarrowAndDuckDB(compression: FilesystemDestination.Compression) async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.parquet) {
            $0.compression = compression
            $0.rowGroupSize = 3  // several row groups per file
        }
        _ = try await bucket.pipeline(destination).run(FilesystemFixtures.source(8))
        let folder = bucket.root + "/shop/items"
        let both = try await ParquetPython.read([folder, bucket.root + "/shop/items__tags"], engine: .pyarrow)
        let (arrow, tags) = (both[0], both[1])
        let duck = try await ParquetPython.read(folder, engine: .duckdb)
        #expect(arrow.columns.map(\.type) == ["int64", "string", "double", "bool", "timestamp[us, tz=UTC]", "date32[day]",
                                              "decimal128(38, 9)", "extension<arrow.json>", "string not null", "string not null"])
        #expect(duck.columns.map(\.type) == ["BIGINT", "VARCHAR", "DOUBLE", "BOOLEAN", "TIMESTAMP WITH TIME ZONE", "DATE",
                                             "DECIMAL(38,9)", "JSON", "VARCHAR", "VARCHAR"])
        let names = ["id", "name", "score", "ok", "at", "day", "amount", "meta"]
        #expect(Array(arrow.columns.map(\.name).prefix(8)) == names)
        let expected = FilesystemFixtures.rows(8).map { row in names.map { Self.text(row[$0] ?? .null) } }
            .sorted { $0[0] < $1[0] }
        #expect(arrow.rows.map { Array($0.prefix(7)) } == expected.map { Array($0.prefix(7)) })
        #expect(duck.rows.map { Array($0.prefix(7)) } == expected.map { Array($0.prefix(7)) })
        #expect(arrow.rows.map { $0[7] } == duck.rows.map { $0[7] })
        // The list is a child table of its own files.
        #expect(tags.rows.count == 16 && tags.columns.map(\.name) == ["value", "_dlt_parent_id", "_dlt_list_idx", "_dlt_id"])
    }

    @Test func aStagedLoadReadsInDuckDBOverTheTablesFolder() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.parquet) { $0.fileMaxItems = 700 }
        let source = Source(name: "s", resources: [Resource(name: "trips") { out in
            try await out.write(contentsOf: (1...5000).map { i -> Row in ["id": .bigint(Int64(i)), "fare": .double(Double(i % 97) / 4)] })
        }])
        _ = try await bucket.pipeline(destination).run(source)
        #expect(bucket.dataFiles("trips").count == 8)
        let output = try await ParquetPython.run("""
            import duckdb, sys
            print(duckdb.sql("SELECT count(*), sum(id), sum(fare) FROM read_parquet('" + sys.argv[1] + "/*.parquet')").fetchall()[0])
            """, [bucket.root + "/shop/trips"])
        let fares = (1...5000).reduce(0.0) { $0 + Double($1 % 97) / 4 }
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "(5000, \(5000 * 5001 / 2), \(fares))")
    }

    /// A column of nearly all distinct values (an id, a long text) turns PLAIN after 8,192 values of a row
    /// group, the values written before included; a repeated one keeps its dictionary. Both read back whole.
    @Test func mostlyDistinctColumnsArePlainAndRepeatedOnesDictionaryEncoded() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let destination = try bucket.destination(.parquet) { $0.rowGroupSize = 30_000 }
        let cities = ["Oslo", "Lima", "Pune", "Kyiv"]
        let source = Source(name: "s", resources: [Resource(name: "trips") { out in
            try await out.write(contentsOf: (1...20_000).map { i -> Row in
                ["id": .bigint(Int64(i)), "fare": .double(Double(i % 97) / 4), "note": .text("note \(i * 7919)"),
                 "city": .text(cities[i % 4])]
            })
        }])
        _ = try await bucket.pipeline(destination).run(source)
        let output = try await ParquetPython.run("""
            import glob, sys, pyarrow.parquet as pq
            f = glob.glob(sys.argv[1] + "/*.parquet")[0]
            group = pq.ParquetFile(f).metadata.row_group(0)
            for i in range(group.num_columns):
                c = group.column(i)
                print(c.path_in_schema, "dictionary" if "RLE_DICTIONARY" in c.encodings else "plain")
            t = pq.read_table(f)
            print(t.num_rows, sum(t["id"].to_pylist()), sum(int(n.split()[1]) for n in t["note"].to_pylist()),
                  sorted(set(t["city"].to_pylist())))
            """, [bucket.root + "/shop/trips"])
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.contains("id plain") && lines.contains("note plain") && lines.contains("_dlt_id plain"), "\(lines)")
        #expect(lines.contains("fare dictionary") && lines.contains("city dictionary"), "\(lines)")
        #expect(lines.last == "20000 \(20_000 * 20_001 / 2) \(7919 * 20_000 * 20_001 / 2) ['Kyiv', 'Lima', 'Oslo', 'Pune']")
    }

    /// A row group ends once its values reach the byte limit, checked after every row: rows of 300 KB
    /// under a 1 MiB limit make groups of four (the check every 1,024 rows let 1,000 rows of 1 MiB make one
    /// group of 1 GB, and larger ones fail on Parquet's 2 GiB page limit).
    @Test func rowGroupsEndAtTheirByteLimitAfterAnyRow() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let table = TableSchema(name: "docs", columns: [ColumnSchema(name: "k", dataType: .bigint, nullable: false),
                                                        ColumnSchema(name: "body", dataType: .text, nullable: true)])
        let rows: [[Value]] = (0..<20).map { [.bigint(Int64($0)), .text(String(repeating: "x\($0 % 10)", count: 150_000))] }
        let path = try Self.writeParquet(table, rows, rowGroupBytes: 1 << 20, in: bucket.dir)
        let output = try await ParquetPython.run("""
            import sys, pyarrow.parquet as pq
            f = pq.ParquetFile(sys.argv[1])
            print([f.metadata.row_group(i).num_rows for i in range(f.metadata.num_row_groups)])
            t = f.read()
            print(t["k"].to_pylist(), sorted(set(len(b) for b in t["body"].to_pylist())))
            """, [path])
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.first == "[4, 4, 4, 4, 4]")
        #expect(lines.last == "\(Array(0..<20)) [300000]")
    }

    /// The byte limit counts values as the column buffers hold them (9 bytes a bigint with its definition
    /// level), not as the normalized frames do (a small integer there is a one-byte varint): 200 small
    /// bigints a row under a 1 MiB limit make groups of 583 rows (counted by frames, 1,700 rows and four
    /// times the memory the limit means).
    @Test func rowGroupsOfSmallIntegersCountTheirBuffersBytes() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let table = TableSchema(name: "wide", columns: (0..<200).map { ColumnSchema(name: "c\($0)", dataType: .bigint, nullable: true) })
        let rows: [[Value]] = (0..<1_200).map { r in (0..<200).map { .bigint(Int64((r + $0) % 50)) } }
        let path = try Self.writeParquet(table, rows, rowGroupBytes: 1 << 20, in: bucket.dir)
        let output = try await ParquetPython.run("""
            import sys, pyarrow.parquet as pq
            f = pq.ParquetFile(sys.argv[1])
            print([f.metadata.row_group(i).num_rows for i in range(f.metadata.num_row_groups)])
            print(sum(f.read()["c7"].to_pylist()))
            """, [path])
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.first == "[583, 583, 34]")
        #expect(lines.last == "\((0..<1_200).reduce(0) { $0 + ($1 + 7) % 50 })")
    }

    /// `rows` of `table` through a normalized package into `<dir>/<table>.parquet` by a ``ParquetFileWriter``
    /// whose row groups end at `rowGroupBytes`; returns the file's path.
    static func writeParquet(_ table: TableSchema, _ rows: [[Value]], rowGroupBytes: Int, in dir: String) throws -> String {
        let package = try ParquetFuzz.package(table: table, rows: rows, loadId: "1700000000.000001", in: dir)
        var options = ParquetFileWriter.Options()
        options.rowGroupBytes = rowGroupBytes
        let path = dir + "/\(table.name).parquet"
        let writer = try ParquetFileWriter(path: path, table: table, options: options)
        let reader = try PackageFileReader(path: package.files[0].path)
        var frame: [UInt8] = []
        while try reader.readFrame(appendingTo: &frame) != nil {
            try frame.withUnsafeBufferPointer { try writer.write($0) }
            frame.removeAll(keepingCapacity: true)
        }
        try writer.finish()
        return path
    }

    /// A small fuzz: random tables (types, nulls, cardinality, row groups, codecs) from a seeded generator,
    /// written as Parquet and read back by pyarrow value for value.
    @Test func randomTablesReadBackIdentically() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        var random = SplitMix64(seed: 20_240_601)
        var folders: [String] = []
        var expected: [[[String]]] = []
        for round in 0..<12 {
            let codec: FilesystemDestination.Compression = [.snappy, .zstd, .none][round % 3]
            let destination = try bucket.destination(.parquet) {
                $0.compression = codec
                $0.rowGroupSize = 1 + Int(random.next() % 700)
            }
            let (table, rows) = ParquetFuzz.table(named: "t\(round)", random: &random)
            let package = try ParquetFuzz.package(table: table, rows: rows, loadId: "1700000000.\(100_000 + round)", in: bucket.dir)
            try await destination.load(package)
            folders.append(bucket.root + "/shop/t\(round)")
            expected.append(rows.map { $0.map(Self.text) }.sorted { $0[0] < $1[0] })
        }
        let tables = try await ParquetPython.read(folders, engine: .pyarrow)
        for (k, table) in tables.enumerated() {
            #expect(table.rows == expected[k], "round \(k)")
        }
    }
}


enum ParquetFuzz {
    static let types: [DataType] = [.bigint, .double, .bool, .text, .timestamp, .date, .decimal, .binary]
    static let alphabet = ["a", "b", "ü", "\"", "\n", "😀", " ", ",", "\\", "z"]

    /// A table whose first column is a unique id, then 1...10 random columns, and its rows (values by column).
    static func table(named name: String, random: inout SplitMix64) -> (TableSchema, [[Value]]) {
        var columns = [ColumnSchema(name: "row", dataType: .bigint, nullable: false)]
        var nullRates: [Double] = [0]
        var pools: [[Value]?] = [nil]
        for k in 0..<(1 + Int(random.next() % 10)) {
            let type = types[Int(random.next() % UInt64(types.count))]
            let rate = [0, 0.1, 0.5, 0.95, 1][Int(random.next() % 5)]
            columns.append(ColumnSchema(name: "c\(k)", dataType: type, nullable: rate > 0 || random.next() % 2 == 0))
            nullRates.append(rate)
            // Low cardinality (a pool of values, dictionary-encoded text) or every value fresh; long text passes the dictionary's limit.
            pools.append(random.next() % 2 == 0 ? (0..<(1 + Int(random.next() % 20))).map { _ in value(type, random: &random, long: false) } : nil)
        }
        let long = random.next() % 4 == 0
        let count = long ? 3000 : 1 + Int(random.next() % 2000)
        let rows: [[Value]] = (0..<count).map { r in
            columns.indices.map { c -> Value in
                if c == 0 { return .bigint(Int64(r)) }
                if nullRates[c] > 0, Double(random.next() % 1000) / 1000 < nullRates[c] { return .null }
                if let pool = pools[c] { return pool[Int(random.next() % UInt64(pool.count))] }
                return value(columns[c].dataType, random: &random, long: long)
            }
        }
        return (TableSchema(name: name, columns: columns), rows)
    }

    static func value(_ type: DataType, random: inout SplitMix64, long: Bool) -> Value {
        switch type {
        case .bigint: return .bigint(Int64(bitPattern: random.next()) >> Int64(random.next() % 63))
        case .double: return .double(Double(Int32(truncatingIfNeeded: random.next())) / 1024)
        case .bool: return .bool(random.next() % 2 == 0)
        case .text:
            let n = long ? 400 + Int(random.next() % 200) : Int(random.next() % 12)
            return .text((0..<n).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }.joined())
        case .timestamp: return .timestamp(Int64(random.next() % 4_000_000_000_000_000))
        case .date: return .date(Int32(random.next() % 40_000))
        case .decimal:
            let integer = random.next() % 1_000_000_000_000
            let fraction = String(random.next() % 1_000_000_000)
            return .decimal((random.next() % 2 == 0 ? "-" : "") + "\(integer)." + String(repeating: "0", count: 9 - fraction.count) + fraction)
        case .binary: return .binary((0..<Int(random.next() % 16)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        case .json: return .text("{}")
        }
    }

    /// A one-table normalized package of `rows`, as the engine writes it.
    static func package(table: TableSchema, rows: [[Value]], loadId: String, in dir: String) throws -> NormalizedPackage {
        let path = dir + "/" + table.name + ".rows"
        let writer = try PackageFileWriter(path: path)
        for row in rows { try writer.writeFlatRow(row.enumerated().filter { !$0.element.isNull }.map { ($0.offset, $0.element) }) }
        try writer.sync()
        return NormalizedPackage(loadId: loadId, dataset: "shop", schema: Schema(name: "fuzz", version: 1, tables: [table]),
                                 files: [.init(table: table.name, path: path, rowCount: rows.count)], replacedRoots: [])
    }
}
