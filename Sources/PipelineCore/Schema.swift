/// The schema of a pipeline: its tables and their columns, inferred from data and hints, versioned.
///
/// The schema is data. It is stored in the destination's `_dlt_version` table with every change,
/// kept locally under `.sluice/<pipeline>/schemas/`, and encoded as JSON.
public struct Schema: Sendable, Codable, Hashable {
    public var name: String
    /// Increases by one with every change that adds a table or a column.
    public var version: Int
    /// Tables in the order they were created.
    public var tables: [TableSchema]

    public init(name: String, version: Int = 0, tables: [TableSchema] = []) {
        self.name = name
        self.version = version
        self.tables = tables
    }

    enum CodingKeys: String, CodingKey { case name, version, tables }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), version: try c.decodeIfPresent(Int.self, forKey: .version) ?? 0,
                  tables: try c.decodeIfPresent([TableSchema].self, forKey: .tables) ?? [])
    }

    public func table(named name: String) -> TableSchema? {
        tables.first { $0.name == name }
    }

    public func tableIndex(named name: String) -> Int? {
        tables.firstIndex { $0.name == name }
    }

    /// Tables whose root ancestor is `root` (including `root`), parents before children.
    public func tableChain(root: String) -> [TableSchema] {
        tables.filter { $0.name == root || $0.root == root }
    }

    /// The data tables, without dlt's system tables.
    public var dataTables: [TableSchema] { tables.filter { !$0.name.hasPrefix("_dlt") } }

    /// What `self` has that `old` had not: new tables and new columns of existing tables.
    public func additions(since old: Schema) -> [SchemaChange] {
        var changes: [SchemaChange] = []
        for table in tables {
            guard let before = old.table(named: table.name) else {
                changes.append(.newTable(table.name, columns: table.columns.map(\.name)))
                continue
            }
            for column in table.columns where before.column(named: column.name) == nil {
                changes.append(.newColumn(table: table.name, column: column.name, dataType: column.dataType))
            }
        }
        return changes
    }
}

/// One addition to a schema.
public enum SchemaChange: Sendable, Hashable, CustomStringConvertible {
    case newTable(String, columns: [String])
    case newColumn(table: String, column: String, dataType: DataType)

    public var description: String {
        switch self {
        case .newTable(let t, let cols): return "new table \(t) (\(cols.count) columns)"
        case .newColumn(let t, let c, let type): return "new column \(t).\(c) \(type.rawValue)"
        }
    }
}

/// One table: its columns in order, its place in a nesting chain and how it is written.
public struct TableSchema: Sendable, Codable, Hashable {
    public var name: String
    /// The parent table for a child table made from a list (`issues__labels` has parent `issues`).
    public var parent: String?
    /// The root table of the chain; `nil` for a root table.
    public var root: String?
    public var writeDisposition: WriteDisposition
    /// For `merge`; `nil` means delete-insert.
    public var mergeStrategy: MergeStrategy?
    public var columns: [ColumnSchema]

    public init(name: String, parent: String? = nil, root: String? = nil,
                writeDisposition: WriteDisposition = .append, mergeStrategy: MergeStrategy? = nil,
                columns: [ColumnSchema] = [])
    {
        self.mergeStrategy = mergeStrategy
        self.name = name
        self.parent = parent
        self.root = root
        self.writeDisposition = writeDisposition
        self.columns = columns
    }

    enum CodingKeys: String, CodingKey {
        case name, parent, root, columns
        case writeDisposition = "write_disposition"
        case mergeStrategy = "merge_strategy"
    }

    /// Omitted fields take their defaults, so a hand-written schema file needs only names and types.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name),
                  parent: try c.decodeIfPresent(String.self, forKey: .parent),
                  root: try c.decodeIfPresent(String.self, forKey: .root),
                  writeDisposition: try c.decodeIfPresent(WriteDisposition.self, forKey: .writeDisposition) ?? .append,
                  mergeStrategy: try c.decodeIfPresent(MergeStrategy.self, forKey: .mergeStrategy),
                  columns: try c.decodeIfPresent([ColumnSchema].self, forKey: .columns) ?? [])
    }

    public func column(named name: String) -> ColumnSchema? { columns.first { $0.name == name } }
    public func columnIndex(named name: String) -> Int? { columns.firstIndex { $0.name == name } }

    public var primaryKey: [String] { columns.filter(\.primaryKey).map(\.name) }
    /// The column whose set value marks a row for deletion, if any.
    public var hardDeleteColumn: ColumnSchema? { columns.first { $0.hardDelete == true } }
    public var mergeKey: [String] { columns.filter(\.mergeKey).map(\.name) }
    public var isChild: Bool { parent != nil }
}

/// One column: its normalized name, type and hints.
public struct ColumnSchema: Sendable, Codable, Hashable {
    public var name: String
    public var dataType: DataType
    public var nullable: Bool
    public var primaryKey: Bool
    public var mergeKey: Bool
    /// A variant column holds the values of another column whose type conflicted (`comments__v_text`).
    public var variant: Bool
    /// Marks rows to delete under `merge` (see ``ColumnHint/hardDelete``).
    public var hardDelete: Bool?
    /// The key path in the source rows whose values this column holds (`["user", "id"]` for `user__id`),
    /// recorded when the column is made from data. Keys that normalize to one name keep separate
    /// columns: the column belongs to this key, and a later key with the same normalized name gets a
    /// name of its own (see `docs/how-it-works.md`, "Names"). `nil` for system and variant columns, and
    /// for columns from a hand-written schema until a key claims them.
    public var sourceKey: [String]?

    public init(name: String, dataType: DataType, nullable: Bool = true, primaryKey: Bool = false,
                mergeKey: Bool = false, variant: Bool = false)
    {
        self.name = name
        self.dataType = dataType
        self.nullable = nullable
        self.primaryKey = primaryKey
        self.mergeKey = mergeKey
        self.variant = variant
    }

    enum CodingKeys: String, CodingKey {
        case name, nullable, variant
        case dataType = "data_type"
        case primaryKey = "primary_key"
        case mergeKey = "merge_key"
        case hardDelete = "hard_delete"
        case sourceKey = "x-source-key"
    }

    /// Omitted fields take their defaults (nullable, not a key, not a variant).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), dataType: try c.decode(DataType.self, forKey: .dataType),
                  nullable: try c.decodeIfPresent(Bool.self, forKey: .nullable) ?? true,
                  primaryKey: try c.decodeIfPresent(Bool.self, forKey: .primaryKey) ?? false,
                  mergeKey: try c.decodeIfPresent(Bool.self, forKey: .mergeKey) ?? false,
                  variant: try c.decodeIfPresent(Bool.self, forKey: .variant) ?? false)
        hardDelete = try c.decodeIfPresent(Bool.self, forKey: .hardDelete)
        sourceKey = try c.decodeIfPresent([String].self, forKey: .sourceKey)
    }
}
