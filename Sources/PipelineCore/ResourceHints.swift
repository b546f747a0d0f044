/// Hints a resource gives about the table its rows go to. Explicit hints win over inference.
///
/// ```swift
/// var hints = ResourceHints(table: "trips")
/// hints.writeDisposition = .merge
/// hints.primaryKey = ["trip_id"]
/// hints.columns["fare"] = ColumnHint(dataType: .decimal)
/// ```
public struct ResourceHints: Sendable, Codable, Hashable {
    /// The destination table; `nil` means the resource name.
    public var table: String?
    public var writeDisposition: WriteDisposition
    /// Columns (source names) identifying a row; required by ``WriteDisposition/merge``.
    public var primaryKey: [String]
    /// Columns (source names) whose values select the rows a merge replaces, when different from the primary key.
    public var mergeKey: [String]
    /// Per-column overrides, keyed by source column name.
    public var columns: [String: ColumnHint]
    /// An incremental cursor; rows outside its window are dropped at extract.
    public var incremental: Incremental?
    /// How `merge` combines rows (default `delete-insert`).
    public var mergeStrategy: MergeStrategy?
    /// What may change in the schema, and what happens to data that would change it.
    public var contract: SchemaContract?

    public init(
        table: String? = nil, writeDisposition: WriteDisposition = .append, primaryKey: [String] = [],
        mergeKey: [String] = [], columns: [String: ColumnHint] = [:], incremental: Incremental? = nil
    ) {
        self.incremental = incremental
        self.table = table
        self.writeDisposition = writeDisposition
        self.primaryKey = primaryKey
        self.mergeKey = mergeKey
        self.columns = columns
    }
}

/// A hint for one column: its type, whether it may hold nulls, and its role.
public struct ColumnHint: Sendable, Codable, Hashable {
    public var dataType: DataType?
    /// `false` makes a null in this column an error that names the row.
    public var nullable: Bool?
    /// Under `merge`: a row whose value here is set (true, or any non-null non-boolean) deletes the
    /// row with its key instead of being loaded (scd2: retires it).
    public var hardDelete: Bool?
    /// Keeps a sensitive value from leaving the source as it is.
    public var privacy: Privacy?

    public init(dataType: DataType? = nil, nullable: Bool? = nil, hardDelete: Bool? = nil, privacy: Privacy? = nil) {
        self.dataType = dataType
        self.nullable = nullable
        self.hardDelete = hardDelete
        self.privacy = privacy
    }
}

/// What happens to a sensitive column before anything is written, even to the load package.
public enum Privacy: String, Sendable, Codable, Hashable {
    /// The column is dropped at extract: it never leaves the source.
    case exclude
    /// The value is replaced by the hex SHA-256 of the salt followed by the value's text; null stays null.
    /// Equal values hash equal, so the column still joins and counts. The salt comes from secrets.
    case hash
}

/// What a load may change in the schema, per kind of change, as dlt's schema contracts.
///
/// `tables` governs new tables; `columns` new columns of tables that existed before the load (a new
/// table takes all its columns); `dataType` variant columns (a value whose type conflicts).
public struct SchemaContract: Sendable, Codable, Hashable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// Accept the change (the default).
        case evolve
        /// Fail the load, naming the change.
        case freeze
        /// Drop the whole row that carries the change; counted in the load info.
        case discardRow = "discard_row"
        /// Drop only the value that would change the schema; counted in the load info.
        case discardValue = "discard_value"
    }

    public var tables: Mode
    public var columns: Mode
    public var dataType: Mode

    public init(tables: Mode = .evolve, columns: Mode = .evolve, dataType: Mode = .evolve) {
        self.tables = tables
        self.columns = columns
        self.dataType = dataType
    }

    /// The same mode for all three.
    public init(_ all: Mode) { self.init(tables: all, columns: all, dataType: all) }

    enum CodingKeys: String, CodingKey {
        case tables, columns
        case dataType = "data_type"
    }

    /// Missing entries default to `evolve`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(tables: try c.decodeIfPresent(Mode.self, forKey: .tables) ?? .evolve,
                  columns: try c.decodeIfPresent(Mode.self, forKey: .columns) ?? .evolve,
                  dataType: try c.decodeIfPresent(Mode.self, forKey: .dataType) ?? .evolve)
    }

    public var isEvolve: Bool { tables == .evolve && columns == .evolve && dataType == .evolve }
}
