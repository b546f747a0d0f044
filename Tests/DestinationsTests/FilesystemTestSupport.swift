import Destinations
import Foundation
import PipelineCore
import Pipelines
import Sources

/// A bucket and working directories for one filesystem test, under TMPDIR; removed by ``remove()``.
struct Bucket {
    let dir = NSTemporaryDirectory() + "sluice-fs-" + UUID().uuidString
    var root: String { dir + "/bucket" }

    init() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    func destination(_ format: FilesystemDestination.FileFormat = .jsonl, _ change: (inout FilesystemDestination.Configuration) -> Void = { _ in })
        throws -> FilesystemDestination
    {
        var configuration = FilesystemDestination.Configuration(bucketURL: root, fileFormat: format)
        change(&configuration)
        return try FilesystemDestination(dataset: "shop", configuration: configuration)
    }

    /// A pipeline `events` whose working directory is `<dir>/<workdir>/.sluice` (two workdirs: two machines).
    func pipeline(_ destination: any Destination, workdir: String = "w1",
                  _ change: (inout Pipeline.Configuration) -> Void = { _ in }) -> Pipeline
    {
        var configuration = Pipeline.Configuration()
        configuration.workingDirectory = dir + "/" + workdir + "/.sluice"
        configuration.loadRetryDelays = []
        change(&configuration)
        return Pipeline(name: "events", destination: destination, dataset: "shop", configuration: configuration)
    }

    /// Every file under the dataset's folder, relative to it, sorted.
    func files(_ sub: String = "") -> [String] {
        let base = root + "/shop" + (sub.isEmpty ? "" : "/" + sub)
        guard let e = FileManager.default.enumerator(atPath: base) else { return [] }
        return e.compactMap { $0 as? String }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: base + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }

    /// Data files of `table` (full paths).
    func dataFiles(_ table: String) -> [String] { files(table).map { root + "/shop/" + table + "/" + $0 } }
}

enum FilesystemFixtures {
    static let baseTime: Int64 = 1_700_000_000_000_000

    /// Rows of every type: a null name every third row, an empty name in row 2, quotes, a delimiter and a
    /// newline in names, a list (a child table) and a json column.
    static func rows(_ n: Int) -> [Row] {
        (1...n).map { i in
            var row: Row = ["id": .bigint(Int64(i))]
            row.append("name", i % 3 == 0 ? .null : i == 2 ? .text("") : .text("name \(i), \"q\"\nü"))
            row.append("score", .double(Double(i) / 4 - 3))
            row.append("ok", .bool(i % 2 == 0))
            row.append("at", .timestamp(baseTime + Int64(i) * 1_000_001))
            row.append("day", .date(Int32(19000 + i)))
            row.append("amount", .decimal(i % 2 == 0 ? "12.5" : "-3.25"))
            row.append("meta", .object(["k": .bigint(Int64(i)), "s": .text("x")]))
            row.append("tags", .array([.text("a\(i)"), .text("b")]))
            return row
        }
    }

    static let hints = ResourceHints(columns: ["meta": ColumnHint(dataType: .json)])

    static func source(_ n: Int, disposition: WriteDisposition = .append, offset: Int = 0) -> Source {
        var hints = Self.hints
        hints.writeDisposition = disposition
        let rows = Self.rows(n).map { row -> Row in
            var row = row
            if offset != 0 { row.fields[0].value = .bigint(Int64(offset) + (row["id"].flatMap { if case .bigint(let i) = $0 { i } else { nil } } ?? 0)) }
            return row
        }
        return Source(name: "s", resources: [Resource(name: "items", hints: hints) { out in try await out.write(contentsOf: rows) }])
    }

    /// Rows read back from JSON Lines or CSV files, in order.
    static func read(_ paths: [String], csvTypes: [String: DataType]? = nil) async throws -> [Row] {
        var rows: [Row] = []
        for path in paths {
            if let csvTypes {
                try await CSVReader(path: path, options: CSVReader.Options(columnTypes: csvTypes)).read { rows.append($0) }
            } else {
                let collector = Collector()
                try await FileResource.make(name: "r", paths: [path], format: .jsonl).produce(collector)
                rows += collector.rows
            }
        }
        return rows
    }

    /// `row` without dlt's columns, null fields dropped (JSON Lines leaves nulls out).
    static func data(_ row: Row) -> Row {
        Row(row.fields.filter { !$0.name.hasPrefix("_dlt_") && !$0.value.isNull })
    }
}

/// Collects the rows a reader writes.
final class Collector: RowWriter {
    var rows: [Row] = []
    func write(_ row: Row) async throws { rows.append(row) }
}
