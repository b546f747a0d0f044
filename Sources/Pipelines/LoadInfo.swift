import Foundation
import PipelineCore

/// What a run did, as dlt's load info reports it: per load package, the rows per table and the
/// schema changes; and the time each stage took.
public struct LoadInfo: Sendable, CustomStringConvertible {
    public struct Package: Sendable {
        public var loadId: String
        /// Rows per table, parents before children.
        public var rowCounts: [(table: String, rows: Int)]
        /// New tables and columns, as `new table issues (12 columns)`, `new column issues.body text`.
        public var schemaChanges: [String]
        /// `true` for a package a previous run left unfinished and this run completed.
        public var resumed: Bool
        /// Rows an incremental cursor dropped at extract (outside the window or loaded before).
        public var skippedRows: Int = 0
        /// Rows a schema contract discarded (`discard_row`).
        public var discardedRows: Int = 0
        /// Values a schema contract discarded (`discard_value`).
        public var discardedValues: Int = 0
        /// The pipeline state committed with this package, if it changed.
        public var state: PipelineState?
        /// Root tables this package replaced (write disposition `replace`), with their child tables.
        public var replacedTables: [String] = []
    }

    public var pipeline: String
    public var destination: String
    public var location: String
    public var dataset: String
    public var packages: [Package]
    public var extractSeconds: Double
    public var normalizeSeconds: Double
    public var loadSeconds: Double
    /// Where the run's state came from; `nil` for a run that extracted nothing.
    public var stateOrigin: StateOrigin? = nil
    /// Packages an earlier run left (killed before it normalized them) that held broken JSON from a file,
    /// removed by this run before it extracted: the errors, naming the file and line.
    public var removedBrokenPackages: [String] = []

    public var loadIds: [String] { packages.map(\.loadId) }

    /// Total rows loaded into `table` by this run.
    public func rows(in table: String) -> Int {
        packages.reduce(0) { sum, p in sum + p.rowCounts.filter { $0.table == table }.reduce(0) { $0 + $1.rows } }
    }

    public var description: String {
        var lines: [String] = []
        lines.append("Pipeline \(pipeline): \(packages.count) load package(s) loaded to \(destination) at \(location), dataset \(dataset)")
        lines += stateOrigin?.lines ?? []
        for error in removedBrokenPackages {
            lines.append("A package left by an earlier run was removed, not loaded: \(error)")
        }
        for p in packages {
            lines.append("Load package \(p.loadId) is LOADED\(p.resumed ? " (left unfinished by an earlier run, completed now)" : "")")
            for (table, rows) in p.rowCounts {
                lines.append("  \(table): \(rows) row\(rows == 1 ? "" : "s")")
            }
            let emptied = p.replacedTables.filter { t in !p.rowCounts.contains { $0.table == t } }
            for table in emptied { lines.append("  \(table): replaced by no rows (emptied, its child tables too)") }
            if p.rowCounts.isEmpty && emptied.isEmpty { lines.append("  no new rows") }
            if p.discardedRows > 0 { lines.append("  \(p.discardedRows) row(s) discarded by the schema contract") }
            if p.discardedValues > 0 { lines.append("  \(p.discardedValues) value(s) discarded by the schema contract") }
            if p.skippedRows > 0 { lines.append("  \(p.skippedRows) row(s) outside the incremental window or loaded before, skipped") }
            for (resource, state) in (p.state?.resources ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let cursor = state.cursor, let last = cursor.lastValue {
                    lines.append("  cursor \(resource).\(cursor.path) = \(last)")
                }
            }
            for change in p.schemaChanges { lines.append("  \(change)") }
        }
        lines.append(String(format: "Extract %.2fs, normalize %.2fs, load %.2fs", extractSeconds, normalizeSeconds, loadSeconds))
        return lines.joined(separator: "\n")
    }
}
