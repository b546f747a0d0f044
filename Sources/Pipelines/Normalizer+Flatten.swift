import PipelineCore

/// Key paths to columns: dlt's flattening of nested objects, column names (dlt's snake_case, collisions
/// kept apart) and system columns.
extension Normalizer {
    /// A json column keeps nested values whole (by hint, or because the schema says so).
    func isJSONColumn(_ name: String, table t: Int, hint: ResolvedHints?) -> Bool {
        if let c = columnIndex[t][name] { return schema.tables[t].columns[c].dataType == .json }
        return hint?.columns[name]?.dataType == .json
    }

    /// dlt's `_flatten`: scalars of this level first, nested objects after (last pushed, first out),
    /// lists set aside for child tables.
    func flatten(_ row: Row, table t: Int, hint: ResolvedHints?) {
        var stack: [(Row, Int)] = []
        visit(row, node: KeyTree.row, table: t, hint: hint, stack: &stack)
        // Nested objects, last pushed first (dlt's order).
        while let (current, node) = stack.popLast() {
            visit(current, node: node, table: t, hint: hint, stack: &stack)
        }
    }

    /// Classifies the fields of one object of a row, whose key path is `node` of the table's key tree.
    @inline(__always)
    func visit(_ row: Row, node parent: Int, table t: Int, hint: ResolvedHints?, stack: inout [(Row, Int)]) {
        for (i, field) in row.fields.enumerated() {
            let node = trees[t].child(of: parent, at: i, raw: field.name) ?? addKey(field.name, under: parent, table: t)
            classify(field, node: node, table: t, hint: hint, stack: &stack)
        }
    }

    /// Records a key path met for the first time in table `t`, with its column name.
    func addKey(_ raw: String, under parent: Int, table t: Int) -> Int {
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
    func appendSystem(_ name: String, _ value: Value, table t: Int) {
        let node = trees[t].child(of: KeyTree.system, at: 0, raw: name)
            ?? trees[t].add(KeyTree.Node(raw: name, key: "", name: name), to: KeyTree.system)
        flat.append(Flat(value: value, node: node))
    }

    /// Sends a field to its place: a column (scalars, and nested values of json columns), the stack of
    /// objects to flatten, or the lists that become child tables.
    @inline(__always)
    func classify(_ field: Row.Field, node: Int, table t: Int, hint: ResolvedHints?, stack: inout [(Row, Int)]) {
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
    func columnName(forKey key: String, candidate: String, table t: Int) -> String {
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

    func normalizedKey(_ raw: String) -> String {
        if let hit = pathCache[raw] { return hit }
        let n = Naming.normalizePath(raw)
        pathCache[raw] = n
        return n
    }
}
