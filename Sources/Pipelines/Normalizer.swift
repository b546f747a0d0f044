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
    private(set) var schema: Schema
    let loadId: String
    private let directory: String
    private var ids = RowIds()
    private var tableIndex: [String: Int] = [:]
    private var columnIndex: [[String: Int]] = []
    /// Per table: its row file, once it has a row, and the rows written to it.
    private var writers: [PackageFileWriter?] = []
    private var rowCounts: [Int] = []
    /// Per table: the type of each column (read per value, so no ``ColumnSchema`` is copied per value).
    private var types: [[DataType]] = []
    private var pathCache: [String: String] = [:]
    private var hints: [String: ResolvedHints] = [:]
    private var fields: [(Int, Value)] = []
    /// Per table: the key paths met so far with their column names and columns (see ``KeyTree``), so a
    /// known key costs no name normalization and no lookup.
    private var trees: [KeyTree] = []
    private var flat: [Flat] = []
    /// Lists met while flattening a row (the key tree node holding each): they become child rows.
    private var lists: [(node: Int, items: [Value])] = []
    /// Per table: column name -> the source key path that owns it (keys joined by NUL), from the stored
    /// schema's ``ColumnSchema/sourceKey`` and from keys met in this package.
    private var owners: [[String: String]] = []
    /// Per table: source key path -> its column name (a cache of ``columnName(forKey:candidate:table:)``).
    private var claims: [[String: String]] = []
    /// Keys that got a name of their own because another key already had their normalized name.
    private(set) var renamedKeys: [String] = []
    /// Root tables registered in this package, by normalized name -> the name the resource gave.
    private var registeredTables: [String: String] = [:]
    /// Columns the normalizer writes itself: a data key with one of these names gets a name of its own.
    static let systemColumns: Set<String> = ["_dlt_id", "_dlt_load_id", "_dlt_parent_id", "_dlt_list_idx", "_dlt_root_id",
                                             "_dlt_valid_from", "_dlt_valid_to"]

    struct Flat {
        var value: Value
        /// The field's node in the table's key tree (its column cached there).
        var node: Int
    }
    private(set) var replacedRoots: [String] = []

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
    private struct DiscardRow: Error {}

    /// Tables that existed before this package: the `columns` contract applies only to them.
    private let existingTables: Set<String>
    /// Rows of the current root row's tree, held back while a contract may still discard it.
    private var held: [(Int, [(Int, Value)])] = []
    private var holding = false
    private(set) var discardedRows = 0
    private(set) var discardedValues = 0

    /// The batch's dedup by primary key (``RepeatedKeys``): the first pass records every key; when one
    /// repeats, the package is normalized again with `superseded`, the ordinals of rows a later row of
    /// the same key replaces, so those rows and their child rows never reach the package.
    private let superseded: SupersededOrdinals?
    private var repeatedKeys: RepeatedKeys
    /// Root rows dropped because a later row of the batch has the same primary key.
    private(set) var supersededRows = 0
    /// After the first pass: the rows a second pass must drop, or nil when no primary key repeats.
    func supersededOrdinals() throws -> SupersededOrdinals? { try repeatedKeys.superseded() }
    /// Counts root rows given to ``normalize(_:table:)``; identifies a row across the two passes.
    private var ordinal = 0

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
    private func allow(_ mode: SchemaContract.Mode, _ what: String, table: String, column: String?) throws -> Bool {
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
    private var exactFloats = false

    /// System values added to the root row being normalized (scd2's `_dlt_valid_from`).
    private var rootExtras: [(String, Value)] = []

    /// The load's time (from its id), used as scd2's validity start.
    private var loadTime: Int64 { LoadIds.parse(loadId) ?? 0 }

    private func normalizeObject(_ row: Row, table: String, parent: String?, root: String, ownId: String,
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

    /// dlt's `_flatten`: scalars of this level first, nested objects after (last pushed, first out),
    /// lists set aside for child tables.
    /// A json column keeps nested values whole (by hint, or because the schema says so).
    private func isJSONColumn(_ name: String, table t: Int, hint: ResolvedHints?) -> Bool {
        if let c = columnIndex[t][name] { return schema.tables[t].columns[c].dataType == .json }
        return hint?.columns[name]?.dataType == .json
    }

    private func flatten(_ row: Row, table t: Int, hint: ResolvedHints?) {
        var stack: [(Row, Int)] = []
        visit(row, node: KeyTree.row, table: t, hint: hint, stack: &stack)
        // Nested objects, last pushed first (dlt's order).
        while let (current, node) = stack.popLast() {
            visit(current, node: node, table: t, hint: hint, stack: &stack)
        }
    }

    /// Classifies the fields of one object of a row, whose key path is `node` of the table's key tree.
    @inline(__always)
    private func visit(_ row: Row, node parent: Int, table t: Int, hint: ResolvedHints?, stack: inout [(Row, Int)]) {
        for (i, field) in row.fields.enumerated() {
            let node = trees[t].child(of: parent, at: i, raw: field.name) ?? addKey(field.name, under: parent, table: t)
            classify(field, node: node, table: t, hint: hint, stack: &stack)
        }
    }

    /// Records a key path met for the first time in table `t`, with its column name.
    private func addKey(_ raw: String, under parent: Int, table t: Int) -> Int {
        let name: String
        let key: String
        if parent == KeyTree.row {
            key = raw
            name = columnName(forKey: key, candidate: normalizedKey(raw), table: t)
        } else {
            key = trees[t].nodes[parent].key + "\u{0}" + raw
            name = columnName(forKey: key, candidate: trees[t].nodes[parent].name + Naming.pathSeparator + normalizedKey(raw), table: t)
        }
        return trees[t].add(KeyTree.Node(raw: raw, key: key, name: name), to: parent)
    }

    /// Adds a value the normalizer writes itself (`_dlt_id`, ...) to the row being flattened.
    @inline(__always)
    private func appendSystem(_ name: String, _ value: Value, table t: Int) {
        let node = trees[t].child(of: KeyTree.system, at: 0, raw: name)
            ?? trees[t].add(KeyTree.Node(raw: name, key: "", name: name), to: KeyTree.system)
        flat.append(Flat(value: value, node: node))
    }

    /// Sends a field to its place: a column (scalars, and nested values of json columns), the stack of
    /// objects to flatten, or the lists that become child tables.
    @inline(__always)
    private func classify(_ field: Row.Field, node: Int, table t: Int, hint: ResolvedHints?, stack: inout [(Row, Int)]) {
        switch field.value {
        case .object(let nested):
            if isJSONColumn(trees[t].nodes[node].name, table: t, hint: hint) {
                flat.append(Flat(value: field.value, node: node))
            } else {
                stack.append((nested, node))
            }
        case .array(let items):
            if isJSONColumn(trees[t].nodes[node].name, table: t, hint: hint) {
                flat.append(Flat(value: field.value, node: node))
            } else {
                // dlt names the child table from the key normalized as a table name (same rules here).
                lists.append((node, items))
            }
        default:
            flat.append(Flat(value: field.value, node: node))
        }
    }

    /// The column name of a source key path in table `t`: its normalized name (`candidate`), unless
    /// another key path already owns that name; then the first free `candidate_2`, `candidate_3`, ...
    /// Which key owns which name is recorded in the schema (``ColumnSchema/sourceKey``), so later loads
    /// map every key the same way and no value overwrites another's.
    private func columnName(forKey key: String, candidate: String, table t: Int) -> String {
        if let name = claims[t][key] { return name }
        var name = candidate
        var n = 2
        // A system column belongs to the normalizer: a key `_dlt_id` in the data gets `_dlt_id_2`.
        while let owner = Self.systemColumns.contains(name) ? "\u{1}system" : owners[t][name], owner != key {
            name = candidate + "_" + String(n)
            n += 1
        }
        if owners[t][name] == nil {
            owners[t][name] = key
            if let c = columnIndex[t][name], schema.tables[t].columns[c].sourceKey == nil, !schema.tables[t].columns[c].variant {
                schema.tables[t].columns[c].sourceKey = key.components(separatedBy: "\u{0}")  // a column from before keys were recorded
            }
        }
        if name != candidate {
            let shown = key.components(separatedBy: "\u{0}").joined(separator: ".")
            let holder = Self.systemColumns.contains(candidate) ? "\(candidate) is sluice's own column"
                : "\(candidate) holds key '\(Self.printable(owners[t][candidate]!.components(separatedBy: "\u{0}").joined(separator: ".")))'"
            renamedKeys.append("\(schema.tables[t].name): key '\(Self.printable(shown))' -> column \(name) (\(holder))")
        }
        claims[t][key] = name
        return name
    }

    /// A key as shown in messages: control characters escaped.
    static func printable(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.flatMap { u -> [Unicode.Scalar] in
            u.value < 0x20 || u.value == 0x7F ? Array("\\u{\(String(u.value, radix: 16))}".unicodeScalars) : [u]
        }))
    }

    private func normalizedKey(_ raw: String) -> String {
        if let hit = pathCache[raw] { return hit }
        let n = Naming.normalizePath(raw)
        pathCache[raw] = n
        return n
    }

    /// Puts one non-null value in its column (creating the column, coercing, or using a variant).
    private func place(_ entry: Flat, table t: Int, hint: ResolvedHints?, contract: SchemaContract) throws {
        var value = entry.value
        var known = trees[t].nodes[entry.node].column
        if known >= 0, !exactFloats, type(at: known, of: t) != .json, value.dataType == type(at: known, of: t) {
            fields.append((known, value))  // the common case: a known column, nothing to coerce
            return
        }
        let name = trees[t].nodes[entry.node].name
        if known < 0, let c = columnIndex[t][name] {
            known = c
            trees[t].setColumn(c, of: entry.node)
        }
        if exactFloats, case .decimal(let s) = value, s.utf8.contains(where: { $0 == 46 || $0 == 101 || $0 == 69 }) {
            // A float literal kept exact: it stays so only where the column is (or is hinted) decimal.
            let target = known >= 0 ? types[t][known] : hint?.columns[name]?.dataType
            if target != .decimal { value = Value.parseDouble(s).map(Value.double) ?? value }
        }
        if known >= 0 {
            let c = known
            let type = types[t][c]
            if type != .json, value.dataType == type {
                fields.append((c, value))  // the common case: nothing to coerce
                return
            }
            if let coerced = value.coerced(to: type) {
                fields.append((c, storable(coerced, type)))
                return
            }
            // Variant column named after the value's own type.
            let own = value.dataType!
            let variant = name + Naming.pathSeparator + "v_" + own.rawValue
            if let v = columnIndex[t][variant] {
                guard let coerced = value.coerced(to: types[t][v]) else {
                    throw SluiceError(.schema, "cannot coerce a \(own.rawValue) value into variant column \(variant)",
                                      stage: "normalize", column: name, table: schema.tables[t].name)
                }
                fields.append((v, storable(coerced, types[t][v])))
            } else {
                guard try allow(contract.dataType, "the type of column \(name) (a \(own.rawValue) value would add \(variant))",
                                table: schema.tables[t].name, column: name)
                else { return }
                let v = addColumn(ColumnSchema(name: variant, dataType: own, variant: true), to: t)
                fields.append((v, storable(value, own)))
            }
            return
        }
        // A new column: a hint's type, else the value's type (ISO date-time text infers to timestamp).
        if !name.hasPrefix("_dlt_"), existingTables.contains(schema.tables[t].name) {
            guard try allow(contract.columns, "the columns of \(schema.tables[t].name) (new column \(name))",
                            table: schema.tables[t].name, column: name)
            else { return }
        }
        let columnHint = hint?.columns[name]
        var type = value.dataType!
        if let hinted = columnHint?.dataType {
            if let coerced = value.coerced(to: hinted) {
                type = hinted
                value = coerced
            }
        } else if case .text(let s) = value, let parsed = Self.detectTimestamp(s) {
            type = .timestamp
            value = parsed
        }
        var column = ColumnSchema(name: name, dataType: type)
        column.sourceKey = owners[t][name]?.components(separatedBy: "\u{0}")
        if let hint {
            column.primaryKey = hint.primaryKey.contains(name)
            column.mergeKey = hint.mergeKey.contains(name)
            if let nullable = columnHint?.nullable { column.nullable = nullable }
            if columnHint?.hardDelete == true { column.hardDelete = true }
        }
        if name.hasPrefix("_dlt_") { column.nullable = false }
        let c = addColumn(column, to: t)
        trees[t].setColumn(c, of: entry.node)
        fields.append((c, storable(value, type)))
    }

    @inline(__always) private func type(at c: Int, of t: Int) -> DataType { types[t][c] }

    static func detectTimestamp(_ s: String) -> Value? {
        guard s.utf8.count >= 16 else { return nil }
        if case .timestamp(let t) = Timestamps.parse(s) { return .timestamp(t) }
        return nil
    }

    /// Nested values in a json column are stored as JSON text.
    @inline(__always) private func storable(_ v: Value, _ type: DataType) -> Value {
        switch v {
        case .object, .array: return .text(JSONText.encode(v))
        default: return v
        }
    }

    /// Columns added so far (to check a destination's width limit only when it changed).
    private(set) var addedColumns = 0

    private func addColumn(_ column: ColumnSchema, to t: Int) -> Int {
        addedColumns += 1
        schema.tables[t].columns.append(column)
        types[t].append(column.dataType)
        let c = schema.tables[t].columns.count - 1
        columnIndex[t][column.name] = c
        return c
    }

    private func ensureTable(_ name: String, parent: String?, root: String?,
                             contract: SchemaContract = SchemaContract()) throws -> Int
    {
        if let t = tableIndex[name] { return t }
        if contract.tables != .evolve {
            // discard_value cannot drop part of a table: it discards the row, as in dlt.
            let mode: SchemaContract.Mode = contract.tables == .discardValue ? .discardRow : contract.tables
            _ = try allow(mode, "new tables (\(name))", table: name, column: nil)
        }
        let disposition = root.flatMap { hints[$0]?.disposition } ?? hints[name]?.disposition ?? .append
        schema.tables.append(TableSchema(name: name, parent: parent, root: root, writeDisposition: disposition))
        columnIndex.append([:])
        types.append([])
        trees.append(KeyTree())
        writers.append(nil)
        rowCounts.append(0)
        owners.append([:])
        claims.append([:])
        let t = schema.tables.count - 1
        tableIndex[name] = t
        return t
    }

    @inline(__always)
    private func writer(for t: Int) throws -> PackageFileWriter {
        if let w = writers[t] { return w }
        let w = try PackageFileWriter(path: directory + "/" + Self.rowFileName(schema.tables[t].name))
        writers[t] = w
        return w
    }

    /// Writes the rows normalized so far through to their files, for a stage that reads along (the
    /// overlapped load): per table with rows, its name, its file and the bytes readable in it now. Called
    /// between rows only, so every file ends with whole rows of whole row trees.
    func flushForReaders() throws -> [(table: String, path: String, bytes: Int)] {
        try writers.indices.compactMap { t in
            guard let w = writers[t] else { return nil }
            return (schema.tables[t].name, w.path, try w.flushForReaders())
        }
    }

    /// Flushes and syncs every row file; returns the files in schema (parent-first) order.
    /// Tables that never got a column (every row discarded) leave the schema.
    func finish() throws -> [NormalizedManifest.File] {
        let empty = Set(schema.tables.indices.filter { schema.tables[$0].columns.isEmpty && writers[$0] == nil })
        var files: [NormalizedManifest.File] = []
        for t in schema.tables.indices {
            guard let w = writers[t] else { continue }
            try w.sync()
            files.append(.init(table: schema.tables[t].name, file: Self.rowFileName(schema.tables[t].name), rows: rowCounts[t]))
        }
        schema.tables = schema.tables.enumerated().filter { !empty.contains($0.offset) }.map(\.element)
        return files
    }

    /// The package file of a table's rows: `<table>.rows`, unless the name is too long for a file name
    /// (255 bytes on Linux file systems; a deeply nested list's child table gets there): then its first
    /// 120 bytes, a hash of the whole name, `.rows`.
    static func rowFileName(_ table: String) -> String {
        guard table.utf8.count > 200 else { return table + ".rows" }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: stable across runs, so a resumed package finds its files
        for byte in table.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var prefix = ""
        for scalar in table.unicodeScalars {
            guard prefix.utf8.count + String(scalar).utf8.count <= 120 else { break }
            prefix.unicodeScalars.append(scalar)
        }
        return prefix + "_" + String(hash, radix: 16) + ".rows"
    }
}
