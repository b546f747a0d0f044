import PipelineCore

/// Turns nested rows into dlt's relational layout and types every value against the schema.
///
/// - nested objects flatten into `parent__child` columns;
/// - lists become child tables `<table>__<field>` whose rows carry `_dlt_parent_id`, `_dlt_list_idx`
///   and `_dlt_id` (and `_dlt_root_id` under merge); lists of scalars hold a `value` column;
/// - root rows get `_dlt_load_id` and `_dlt_id`;
/// - a value is coerced to its column's type; when it cannot be, it goes to a variant column
///   `<column>__v_<type>` instead of failing or being lost;
/// - a column is created when its first non-null value arrives (its type inferred from the value, or
///   given by a hint); ISO 8601 date-time strings infer to `timestamp`, as dlt's default detection does.
final class Normalizer {
    var schema: Schema
    let loadId: String
    let directory: String
    var ids = RowIds()
    var tableIndex: [String: Int] = [:]
    var columnIndex: [[String: Int]] = []
    /// Per table: its row file, once it has a row, and the rows written to it.
    var writers: [PackageFileWriter?] = []
    var rowCounts: [Int] = []
    /// Per table: the type of each column (read per value, so no ``ColumnSchema`` is copied per value).
    var types: [[DataType]] = []
    var pathCache: [String: String] = [:]
    var hints: [String: ResolvedHints] = [:]
    var fields: [(Int, Value)] = []
    /// Per table: the key paths met so far with their column names and columns (see ``KeyTree``), so a
    /// known key costs no name normalization and no lookup.
    var trees: [KeyTree] = []
    var flat: [Flat] = []
    /// Lists met while flattening a row (the key tree node holding each): they become child rows.
    var lists: [(node: Int, items: [Value])] = []
    /// Per table: column name -> the source key path that owns it (keys joined by NUL), from the stored
    /// schema's ``ColumnSchema/sourceKey`` and from keys met in this package.
    var owners: [[String: String]] = []
    /// Per table: source key path -> its column name (a cache of ``columnName(forKey:candidate:table:)``).
    var claims: [[String: String]] = []
    /// Keys that got a name of their own because another key already had their normalized name.
    var renamedKeys: [String] = []
    /// Root tables registered in this package, by normalized name -> the name the resource gave.
    var registeredTables: [String: String] = [:]
    /// Columns the normalizer writes itself: a data key with one of these names gets a name of its own.
    static let systemColumns: Set<String> = ["_dlt_id", "_dlt_load_id", "_dlt_parent_id", "_dlt_list_idx", "_dlt_root_id",
                                             "_dlt_valid_from", "_dlt_valid_to"]

    struct Flat {
        var value: Value
        /// The field's node in the table's key tree (its column cached there).
        var node: Int
    }
    var replacedRoots: [String] = []

    /// A class, so passing the hints down a row's tree copies a reference, not every field.
    final class ResolvedHints {
        var disposition: WriteDisposition
        var strategy: MergeStrategy
        /// Primary key in the order given (for key hashes).
        var keyOrder: [String]
        var primaryKey: Set<String>
        var mergeKey: Set<String>
        var columns: [String: ColumnHint]
        /// Columns that must hold a value in every row: hinted `nullable = false`, and merge keys.
        var required: [String]
        var contract: SchemaContract

        init(disposition: WriteDisposition, strategy: MergeStrategy, keyOrder: [String], primaryKey: Set<String>,
             mergeKey: Set<String>, columns: [String: ColumnHint], required: [String], contract: SchemaContract)
        {
            self.disposition = disposition
            self.strategy = strategy
            self.keyOrder = keyOrder
            self.primaryKey = primaryKey
            self.mergeKey = mergeKey
            self.columns = columns
            self.required = required
            self.contract = contract
        }
    }

    /// Thrown inside a row when a contract discards it; never leaves the normalizer.
    struct DiscardRow: Error {}

    /// Tables that existed before this package: the `columns` contract applies only to them.
    let existingTables: Set<String>
    /// Rows of the current root row's tree, held back while a contract may still discard it.
    var held: [(Int, [(Int, Value)])] = []
    var holding = false
    var discardedRows = 0
    var discardedValues = 0

    /// The batch's dedup by primary key (``RepeatedKeys``): the first pass records every key; when one
    /// repeats, the package is normalized again with `superseded`, the ordinals of rows a later row of
    /// the same key replaces, so those rows and their child rows never reach the package.
    let superseded: SupersededOrdinals?
    var repeatedKeys: RepeatedKeys
    /// Root rows dropped because a later row of the batch has the same primary key.
    var supersededRows = 0
    /// Columns added so far (to check a destination's width limit only when it changed).
    var addedColumns = 0
    /// After the first pass: the rows a second pass must drop, or nil when no primary key repeats.
    func supersededOrdinals() throws -> SupersededOrdinals? { try repeatedKeys.superseded() }
    /// Counts root rows given to ``normalize(_:table:)``; identifies a row across the two passes.
    var ordinal = 0
    /// The direct path's working memory (see ``normalizeDirect(_:table:)``), kept between rows.
    var direct = DirectScratch()

    init(schema: Schema, loadId: String, directory: String, superseded: SupersededOrdinals? = nil) {
        self.superseded = superseded
        repeatedKeys = RepeatedKeys(directory: directory)
        self.schema = schema
        existingTables = Set(schema.tables.map(\.name))
        self.loadId = loadId
        self.directory = directory
        for (k, t) in schema.tables.enumerated() {
            tableIndex[t.name] = k
            columnIndex.append(Dictionary(uniqueKeysWithValues: t.columns.enumerated().map { ($1.name, $0) }))
            types.append(t.columns.map(\.dataType))
            trees.append(KeyTree())
            writers.append(nil)
            rowCounts.append(0)
            var owned: [String: String] = [:]
            for c in t.columns { if let key = c.sourceKey { owned[c.name] = key.joined(separator: "\u{0}") } }
            owners.append(owned)
            claims.append(Dictionary(owned.map { ($1, $0) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    /// Fails, before anything is extracted, when a table name would write into dlt's system tables
    /// (`_dlt...`) or when two resources' tables normalize to one name (`a-b` and `a_b`).
    static func checkTableNames(_ rawNames: [String]) throws {
        var seen: [String: String] = [:]
        for raw in rawNames {
            let name = Naming.normalizePath(raw)
            if name.hasPrefix("_dlt") {
                throw SluiceError(.configuration, "table name '\(printable(raw))' is reserved: names starting with _dlt are dlt's system tables", table: name)
            }
            if let other = seen[name], other != raw {
                throw SluiceError(.configuration, "tables '\(printable(other))' and '\(printable(raw))' both normalize to \(name): rename one", table: name)
            }
            seen[name] = raw
        }
    }

    /// Normalizes a resource's table name and registers its hints. Returns the table's name.
    func register(table rawName: String, hints raw: ResourceHints) throws -> String {
        let name = Naming.normalizePath(rawName)
        try Self.checkTableNames(registeredTables.values.filter { $0 != rawName } + [rawName])
        if let t = tableIndex[name], schema.tables[t].parent != nil {
            throw SluiceError(.schema, "table \(name) is already the child table of \(schema.tables[t].parent!) (a list in its rows): rename the table",
                              stage: "normalize", table: name)
        }
        registeredTables[name] = rawName
        var columns: [String: ColumnHint] = [:]
        for (k, v) in raw.columns { columns[Naming.normalizePath(k)] = v }
        let resolved = ResolvedHints(
            disposition: raw.writeDisposition,
            strategy: raw.mergeStrategy ?? .deleteInsert,
            keyOrder: raw.primaryKey.map(Naming.normalizePath),
            primaryKey: Set(raw.primaryKey.map(Naming.normalizePath)),
            mergeKey: Set(raw.mergeKey.map(Naming.normalizePath)),
            columns: columns,
            required: [],
            contract: raw.contract ?? SchemaContract())
        var required = Set(columns.filter { $0.value.nullable == false }.map(\.key))
        if raw.writeDisposition == .merge { required.formUnion(resolved.primaryKey.union(resolved.mergeKey)) }
        resolved.required = required.sorted()
        let strategy = raw.mergeStrategy ?? .deleteInsert
        if raw.writeDisposition == .merge && strategy != .scd2 && raw.primaryKey.isEmpty && raw.mergeKey.isEmpty {
            throw SluiceError(.configuration, "merge needs a primary key or a merge key", stage: "normalize", table: name)
        }
        if raw.writeDisposition == .merge && strategy == .upsert && raw.primaryKey.isEmpty {
            throw SluiceError(.configuration, "upsert needs a primary key", stage: "normalize", table: name)
        }
        hints[name] = resolved
        direct.tableHints.removeAll()
        let t = try ensureTable(name, parent: nil, root: nil)  // the tables contract is checked per row
        // Hints of this load win over what the schema had.
        schema.tables[t].writeDisposition = raw.writeDisposition
        schema.tables[t].mergeStrategy = raw.writeDisposition == .merge ? strategy : nil
        if raw.writeDisposition == .merge && strategy == .scd2 {
            // The validity columns exist from the first load (valid_to starts out null).
            for column in ["_dlt_valid_from", "_dlt_valid_to"] where columnIndex[t][column] == nil {
                _ = addColumn(ColumnSchema(name: column, dataType: .timestamp), to: t)
            }
        }
        for c in schema.tables[t].columns.indices {
            let col = schema.tables[t].columns[c].name
            schema.tables[t].columns[c].primaryKey = resolved.primaryKey.contains(col)
            schema.tables[t].columns[c].mergeKey = resolved.mergeKey.contains(col)
            schema.tables[t].columns[c].hardDelete = resolved.columns[col]?.hardDelete == true ? true : nil
        }
        for child in schema.tables.indices where schema.tables[child].root == name {
            schema.tables[child].writeDisposition = raw.writeDisposition
        }
        if raw.writeDisposition == .replace && !replacedRoots.contains(name) { replacedRoots.append(name) }
        return name
    }

    /// Whether `table` or one of its child tables has (or is hinted to have) a decimal column: JSON rows
    /// of such a table are parsed with exact floats.
    func hasDecimalColumns(_ table: String) -> Bool {
        if hints[table]?.columns.values.contains(where: { $0.dataType == .decimal }) == true { return true }
        return schema.tableChain(root: table).contains { $0.columns.contains { $0.dataType == .decimal } }
    }

    /// Normalizes one root row of `table` (a name returned by ``register(table:hints:)``).
    ///
    /// `exactFloats`: the row was parsed with ``JSONText/decode(_:exactFloats:)``, so a float literal with
    /// more digits than a double keeps arrives as `.decimal`; it stays exact only in a decimal column.
    func normalize(_ row: Row, table: String, exactFloats: Bool = false) throws {
        let hint = hints[table]!
        self.exactFloats = exactFloats
        ordinal += 1
        var keyText = ""
        if hint.disposition == .merge, !hint.keyOrder.isEmpty {
            let values = hint.keyOrder.map { CursorTracker.lookup($0, in: row) ?? .null }
            keyText = values.map(JSONText.encode).joined(separator: "\u{1F}")
            if let superseded {
                if try superseded.contains(ordinal) {
                    supersededRows += 1
                    return
                }
            } else {
                // Keys compare as the key column will hold them: "1" and 1 are one key (one is coerced to
                // the other's type), as the destination's own dedup would see them.
                let dedupKey = values.map { $0.isNull ? "\u{0}" : $0.textForm }.joined(separator: "\u{1F}")
                try repeatedKeys.record(table: table, key: dedupKey, ordinal: ordinal)
            }
        }
        // Row ids as dlt makes them: random, a hash of the primary key (upsert: an updated row keeps its
        // id and its children's links), or a hash of the whole row (scd2: a changed row is a new version).
        let rootId: String
        var rootExtras: [(String, Value)] = []
        switch (hint.disposition, hint.strategy) {
        case (.merge, .upsert):
            rootId = StableHash.of(keyText)
        case (.merge, .scd2):
            rootId = StableHash.of(JSONText.encode(.object(row)))
            rootExtras.append(("_dlt_valid_from", .timestamp(loadTime)))
        default:
            rootId = ids.random()
        }
        var extend: [(String, Value)] = []
        if hint.disposition == .merge { extend.append(("_dlt_root_id", .text(rootId))) }
        self.rootExtras = rootExtras
        holding = !hint.contract.isEvolve
        do {
            if hint.contract.tables != .evolve, !existingTables.contains(table) {
                let mode: SchemaContract.Mode = hint.contract.tables == .discardValue ? .discardRow : hint.contract.tables
                _ = try allow(mode, "new tables (\(table))", table: table, column: nil)
            }
            try normalizeObject(row, table: table, parent: nil, root: table, ownId: rootId, parentId: nil,
                                listIndex: nil, extend: extend, hint: hint)
        } catch is DiscardRow {
            discardedRows += 1
            held.removeAll(keepingCapacity: true)
            return
        }
        if holding {
            for (t, fields) in held {
                try writer(for: t).writeFlatRow(fields)
                rowCounts[t] += 1
            }
            held.removeAll(keepingCapacity: true)
        }
    }

    /// Applies a contract mode to a change: `true` to go ahead, `false` to drop the value; throws to
    /// fail the load or to discard the row.
    func allow(_ mode: SchemaContract.Mode, _ what: String, table: String, column: String?) throws -> Bool {
        switch mode {
        case .evolve: return true
        case .freeze:
            throw SluiceError(.schema, "the schema contract freezes \(what)", stage: "normalize", column: column, table: table)
        case .discardRow: throw DiscardRow()
        case .discardValue:
            discardedValues += 1
            return false
        }
    }

    /// Whether the row being normalized was parsed with exact floats.
    var exactFloats = false

    /// System values added to the root row being normalized (scd2's `_dlt_valid_from`).
    var rootExtras: [(String, Value)] = []

    /// The load's time (from its id), used as scd2's validity start.
    var loadTime: Int64 { LoadIds.parse(loadId) ?? 0 }

    func normalizeObject(_ row: Row, table: String, parent: String?, root: String, ownId: String,
                                 parentId: String?, listIndex: Int?, extend: [(String, Value)],
                                 hint: ResolvedHints) throws
    {
        let t = try ensureTable(table, parent: parent, root: parent == nil ? nil : root, contract: hint.contract)
        flat.removeAll(keepingCapacity: true)
        let listsStart = lists.count
        flatten(row, table: t, hint: parent == nil ? hint : nil)
        let isRoot = parent == nil
        if !isRoot {
            for (name, value) in extend { appendSystem(name, value, table: t) }
            appendSystem("_dlt_parent_id", .text(parentId!), table: t)
            appendSystem("_dlt_list_idx", .bigint(Int64(listIndex!)), table: t)
        } else {
            for (name, value) in rootExtras { appendSystem(name, value, table: t) }
            appendSystem("_dlt_load_id", .text(loadId), table: t)
        }
        appendSystem("_dlt_id", .text(ownId), table: t)
        fields.removeAll(keepingCapacity: true)
        for entry in flat {
            if case .null = entry.value { continue }
            try place(entry, table: t, hint: isRoot ? hint : nil, contract: hint.contract)
        }
        if isRoot {
            for key in hint.required {
                guard let c = columnIndex[t][key], fields.contains(where: { $0.0 == c }) else {
                    let isKey = hint.primaryKey.contains(key) || hint.mergeKey.contains(key)
                    // Present, but of a type the column cannot take: it went to a variant column.
                    let variant = fields.lazy.map { self.schema.tables[t].columns[$0.0] }
                        .first { $0.variant && $0.name.hasPrefix(key + Naming.pathSeparator + "v_") }
                    if let variant, let c = columnIndex[t][key] {
                        throw SluiceError(.badInput, """
                            \(isKey ? "a key column of a merge" : "a column hinted not nullable") holds a \(variant.dataType.rawValue) \
                            value where the column is \(schema.tables[t].columns[c].dataType.rawValue)
                            """, stage: "normalize", column: key, table: table)
                    }
                    let why = isKey ? "a key column of a merge is null or missing" : "a column hinted not nullable is null or missing"
                    throw SluiceError(.badInput, why, stage: "normalize", column: key, table: table)
                }
            }
        }
        if holding {
            held.append((t, fields))
        } else {
            try writer(for: t).writeFlatRow(fields)
            rowCounts[t] += 1
        }
        let myLists = Array(lists[listsStart...])
        lists.removeSubrange(listsStart...)
        // Child tables, in the order their lists appeared.
        for (node, items) in myLists {
            let name = trees[t].nodes[node].name
            let childTable: String
            if let known = trees[t].nodes[node].childTable {
                childTable = known
            } else {
                childTable = table + Naming.pathSeparator + name
                trees[t].setChildTable(childTable, of: node)
            }
            if !items.isEmpty, let other = registeredTables[childTable] {
                throw SluiceError(.schema, "the list \(name) of \(table) would be child table \(childTable), which is the table of resource '\(Self.printable(other))': rename one",
                                  stage: "normalize", table: childTable)
            }
            for (index, item) in items.enumerated() {
                let childId = RowIds.child(parent: ownId, table: childTable, index: index)
                switch item {
                case .object(let r):
                    try normalizeObject(r, table: childTable, parent: table, root: root, ownId: childId,
                                        parentId: ownId, listIndex: index, extend: extend, hint: hint)
                case .array:
                    try normalizeObject(Row([Row.Field("list", item)]), table: childTable, parent: table, root: root,
                                        ownId: childId, parentId: ownId, listIndex: index, extend: extend, hint: hint)
                default:
                    try normalizeObject(Row([Row.Field("value", item)]), table: childTable, parent: table, root: root,
                                        ownId: childId, parentId: ownId, listIndex: index, extend: extend, hint: hint)
                }
            }
        }
    }

}
