import Foundation
import PipelineCore

/// The `files` source package: one resource per table, each reading local JSON Lines, JSON or CSV
/// files (plain or gzip).
///
/// ```toml
/// [pipelines.sample]
/// source = "files"
///
/// [pipelines.sample.tables.trips]
/// path = "samples/trips.csv.gz"
/// write_disposition = "replace"
/// primary_key = ["trip_id"]
/// columns = { fare_amount = "double" }
/// ```
public enum FilesSource {
    /// The settings of one table.
    public struct Table: Codable, Sendable {
        public var path: String?
        public var paths: [String]?
        public var format: FileFormat?
        public var writeDisposition: WriteDisposition?
        public var primaryKey: [String]?
        public var mergeKey: [String]?
        /// Column types by source column name (`bigint`, `double`, `text`, ...).
        public var columns: [String: DataType]?
        /// `{ cursor = "updated_at", initial_value = "2024-01-01" }`: load only rows past the stored cursor.
        public var incremental: IncrementalSettings?
        public var mergeStrategy: MergeStrategy?
        /// A column whose set value deletes the row with its key (merge).
        public var hardDelete: String?
        /// Columns dropped at extract.
        public var exclude: [String]?
        /// Columns replaced by their salted SHA-256.
        public var hash: [String]?
        /// `{ tables = "evolve", columns = "freeze", data_type = "discard_value" }`.
        public var contract: SchemaContract?
        /// CSV field separator: one character (`;`, `|`, `tab`); detected from the header row when not given.
        public var delimiter: String?

        enum CodingKeys: String, CodingKey {
            case path, paths, format, columns, incremental, exclude, hash, contract, delimiter
            case mergeStrategy = "merge_strategy"
            case hardDelete = "hard_delete"
            case writeDisposition = "write_disposition"
            case primaryKey = "primary_key"
            case mergeKey = "merge_key"
        }
    }

    /// An incremental cursor as written in `sluice.toml`.
    public struct IncrementalSettings: Codable, Sendable {
        public var cursor: String
        public var initialValue: String?
        public var endValue: String?
        public var lag: Double?
        /// `"closed"` (the default: `>=` the start) or `"open"` (`>` the start).
        public var rangeStart: Incremental.RangeStart?

        enum CodingKeys: String, CodingKey {
            case cursor, lag
            case initialValue = "initial_value"
            case endValue = "end_value"
            case rangeStart = "range_start"
        }

        var incremental: Incremental {
            Incremental(cursor: cursor, initialValue: initialValue.map(CursorValue.init(parsing:)),
                        endValue: endValue.map(CursorValue.init(parsing:)), rangeStart: rangeStart ?? .closed, lag: lag)
        }
    }

    public struct Settings: Codable, Sendable {
        public var tables: [String: Table]
    }

    /// Builds the source from a pipeline section's JSON settings.
    @Sendable public static func build(pipeline: String, settings: Data) throws -> Source {
        let decoded: Settings
        do {
            decoded = try JSONDecoder().decode(Settings.self, from: settings)
        } catch {
            throw SluiceError(.configuration, "pipeline \(pipeline): the files source needs [pipelines.\(pipeline).tables.<name>] sections with a path (\(decodingSummary(error)))")
        }
        let resources = try decoded.tables.keys.sorted().map { name -> Resource in
            let table = decoded.tables[name]!
            let paths = table.paths ?? table.path.map { [$0] } ?? []
            let types = table.columns ?? [:]
            let hints = ResourceHints(
                table: name, writeDisposition: table.writeDisposition ?? .append,
                primaryKey: table.primaryKey ?? [], mergeKey: table.mergeKey ?? [],
                columns: types.mapValues { ColumnHint(dataType: $0) }, incremental: table.incremental?.incremental)
            var all = hints
            all.mergeStrategy = table.mergeStrategy
            all.contract = table.contract
            if let column = table.hardDelete { all.columns[column, default: ColumnHint()].hardDelete = true }
            for column in table.exclude ?? [] { all.columns[column, default: ColumnHint()].privacy = .exclude }
            for column in table.hash ?? [] { all.columns[column, default: ColumnHint()].privacy = .hash }
            var csv = CSVReader.Options(columnTypes: types)
            do {
                csv.delimiter = try table.delimiter.map(CSVReader.Options.delimiter(parsing:))
            } catch var error as SluiceError {
                error.message = "[pipelines.\(pipeline).tables.\(name)] delimiter: " + error.message
                throw error
            }
            return try FileResource.make(name: name, paths: paths, format: table.format, hints: all, csv: csv)
        }
        return Source(name: "files", resources: resources)
    }
}
