import Foundation
import PipelineCore

/// The hints a table takes from `sluice.toml` (or `sluice load` flags), in dlt's key names: one mapping
/// to ``ResourceHints`` shared by the files source, the SQL database source and every source package, so
/// none of them copies it.
///
/// ```toml
/// write_disposition = "merge"        # append (default), replace, merge
/// primary_key = ["id"]
/// merge_key = ["day"]
/// merge_strategy = "upsert"          # delete-insert (default), upsert, scd2
/// hard_delete = "is_deleted"
/// incremental = { cursor = "updated_at", initial_value = "2024-01-01T00:00:00Z" }
/// contract = { columns = "freeze" }
/// exclude = ["ssn"]
/// hash = ["email"]
/// columns = { amount = "decimal" }
/// ```
public struct TableSettings: Codable, Sendable, Equatable {
    public var writeDisposition: WriteDisposition?
    public var primaryKey: [String]?
    public var mergeKey: [String]?
    public var mergeStrategy: MergeStrategy?
    /// A column whose set value deletes the row with its key (merge).
    public var hardDelete: String?
    /// `{ cursor = "updated_at", initial_value = "2024-01-01" }`: load only rows past the stored cursor.
    public var incremental: IncrementalSettings?
    /// `{ tables = "evolve", columns = "freeze", data_type = "discard_value" }`.
    public var contract: SchemaContract?
    /// Columns dropped at extract.
    public var exclude: [String]?
    /// Columns replaced by their salted SHA-256.
    public var hash: [String]?
    /// Column types by source column name (`bigint`, `double`, `text`, ...).
    public var columns: [String: DataType]?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case incremental, contract, exclude, hash, columns
        case writeDisposition = "write_disposition"
        case primaryKey = "primary_key"
        case mergeKey = "merge_key"
        case mergeStrategy = "merge_strategy"
        case hardDelete = "hard_delete"
    }

    /// An incremental cursor as written in `sluice.toml`.
    public struct IncrementalSettings: Codable, Sendable, Equatable {
        public var cursor: String
        public var initialValue: String?
        public var endValue: String?
        public var lag: Double?
        /// `"closed"` (the default: `>=` the start) or `"open"` (`>` the start).
        public var rangeStart: Incremental.RangeStart?

        public init(cursor: String, initialValue: String? = nil, endValue: String? = nil, lag: Double? = nil,
                    rangeStart: Incremental.RangeStart? = nil) {
            self.cursor = cursor
            self.initialValue = initialValue
            self.endValue = endValue
            self.lag = lag
            self.rangeStart = rangeStart
        }

        enum CodingKeys: String, CodingKey {
            case cursor, lag
            case initialValue = "initial_value"
            case endValue = "end_value"
            case rangeStart = "range_start"
        }

        /// `initial_value` and `end_value` may be written as numbers (`initial_value = 5`) or text.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func bound(_ key: CodingKeys) throws -> String? {
                if let text = try? c.decodeIfPresent(String.self, forKey: key) { return text }
                if let int = try? c.decodeIfPresent(Int64.self, forKey: key) { return String(int) }
                return try c.decodeIfPresent(Double.self, forKey: key).map { String($0) }
            }
            self.init(cursor: try c.decode(String.self, forKey: .cursor), initialValue: try bound(.initialValue),
                      endValue: try bound(.endValue), lag: try c.decodeIfPresent(Double.self, forKey: .lag),
                      rangeStart: try c.decodeIfPresent(Incremental.RangeStart.self, forKey: .rangeStart))
        }

        public var incremental: Incremental {
            Incremental(cursor: cursor, initialValue: initialValue.map(CursorValue.init(parsing:)),
                        endValue: endValue.map(CursorValue.init(parsing:)), rangeStart: rangeStart ?? .closed, lag: lag)
        }
    }

    /// `base` (what a source knows: a catalog's types and keys, its defaults) with these settings applied:
    /// a setting given here wins; columns named by `hard_delete`, `exclude`, `hash` and `columns` get
    /// their hints added to what `base` says of them.
    public func applied(to base: ResourceHints) -> ResourceHints {
        var hints = base
        if let writeDisposition { hints.writeDisposition = writeDisposition }
        if let primaryKey { hints.primaryKey = primaryKey }
        if let mergeKey { hints.mergeKey = mergeKey }
        if let mergeStrategy { hints.mergeStrategy = mergeStrategy }
        if let incremental { hints.incremental = incremental.incremental }
        if let contract { hints.contract = contract }
        for (column, type) in columns ?? [:] { hints.columns[column, default: ColumnHint()].dataType = type }
        if let hardDelete { hints.columns[hardDelete, default: ColumnHint()].hardDelete = true }
        for column in exclude ?? [] { hints.columns[column, default: ColumnHint()].privacy = .exclude }
        for column in hash ?? [] { hints.columns[column, default: ColumnHint()].privacy = .hash }
        return hints
    }

    /// Fails, naming the table and the key, on settings that cannot work together: a merge with no key
    /// (delete-insert and upsert need one), upsert without a primary key, a key column excluded.
    public func check(table: String) throws {
        func fail(_ message: String) -> SluiceError { SluiceError(.configuration, "table \(table): \(message)", table: table) }
        let keys = (primaryKey ?? []) + (mergeKey ?? [])
        if writeDisposition == .merge, mergeStrategy != .scd2, keys.isEmpty {
            throw fail("write_disposition = \"merge\" needs primary_key or merge_key (or merge_strategy = \"scd2\")")
        }
        if writeDisposition == .merge, mergeStrategy == .upsert, (primaryKey ?? []).isEmpty {
            throw fail("merge_strategy = \"upsert\" needs primary_key")
        }
        if let excluded = (exclude ?? []).first(where: keys.contains) {
            throw fail("exclude drops \(excluded), a key column")
        }
    }

    /// The hints of a table known only by these settings (`append` unless they say otherwise).
    public func hints(table: String) -> ResourceHints {
        applied(to: ResourceHints(table: table))
    }
}
