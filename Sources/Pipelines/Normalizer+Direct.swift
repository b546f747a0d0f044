import PipelineCore

/// The direct path: a root row read from its JSON text straight into its normalized frame, with no
/// ``Value`` tree, no `String` per key and none per text value. It covers the rows that only need
/// flattening and typing against columns that exist; everything else (and any doubt) takes the
/// general path, ``Normalizer/normalize(_:table:exactFloats:)``, which writes the same frame.
extension Normalizer {
    /// What the direct path keeps between rows (allocated once).
    struct DirectScratch {
        var row = FlatRowBuilder()
        /// Nested objects to read after the fields of their level: byte offset and key tree node.
        var stack: [(position: Int, node: Int)] = []
        /// Per key tree node of table ``seenTable``: the row that met it last (a key given twice takes the general path).
        var seen: [UInt32] = []
        var seenTable = -1
        var generation: UInt32 = 0
        /// Per table: the columns of `_dlt_load_id` and `_dlt_id`, once both exist.
        var system: [(load: Int, id: Int)?] = []
    }

    /// Whether rows of `table` may take the direct path: not under merge (key hashes, batch dedup),
    /// under an evolving contract (no row held back), with no column required to hold a value and no
    /// exact floats (decimal columns).
    func takesDirectPath(_ table: String, exactFloats: Bool) -> Bool {
        guard let hint = hints[table], !exactFloats else { return false }
        return hint.disposition != .merge && hint.contract.isEvolve && hint.required.isEmpty && superseded == nil
    }

    /// Normalizes one root row of table `t` (one ``takesDirectPath(_:exactFloats:)`` allows) from its JSON
    /// text, writing the frame the general path would write. Returns `false`, having changed nothing,
    /// when the row needs the general path: a key not met before or a column not created yet, a value
    /// its column's type cannot take as it is, a json column, a list with items (child rows), a key
    /// given twice or written with escapes, or JSON the general path will report as broken.
    func normalizeDirect(_ json: UnsafeBufferPointer<UInt8>, table t: Int) throws -> Bool {
        guard let columns = directSystemColumns(t) else { return false }
        let nodes = trees[t].nodes
        direct.generation &+= 1
        if direct.seenTable != t || direct.generation == 0 {  // another table, or wrapped: forget every mark
            direct.seen = []
            direct.seenTable = t
            direct.generation = 1
        }
        if direct.seen.count < nodes.count { direct.seen.append(contentsOf: repeatElement(0, count: nodes.count - direct.seen.count)) }
        direct.row.removeAll()
        direct.stack.removeAll(keepingCapacity: true)
        let hint = hints[schema.tables[t].name]
        var cursor = JSONCursor(json)
        let complete = nodes.withUnsafeBufferPointer { nodes in
            do {
                guard cursor.enterObject(), try directFields(&cursor, node: KeyTree.row, nodes: nodes, table: t, hint: hint),
                      cursor.isAtEnd()
                else { return false }
                while let (position, node) = direct.stack.popLast() {
                    cursor.position = position
                    guard cursor.enterObject(), try directFields(&cursor, node: node, nodes: nodes, table: t, hint: hint) else { return false }
                }
                return true
            } catch {
                return false  // broken JSON: the general path reports it
            }
        }
        guard complete else { return false }
        direct.row.append(column: columns.load, .text(loadId))
        direct.row.append(column: columns.id, .text(ids.random()))
        try writer(for: t).writeFlatRow(direct.row)
        rowCounts[t] += 1
        ordinal += 1
        return true
    }

    /// The columns of `_dlt_load_id` and `_dlt_id` in table `t`, once the general path has made both.
    private func directSystemColumns(_ t: Int) -> (load: Int, id: Int)? {
        while direct.system.count <= t { direct.system.append(nil) }
        if let known = direct.system[t] { return known }
        guard let load = trees[t].child(of: KeyTree.system, at: 0, raw: "_dlt_load_id"),
              let id = trees[t].child(of: KeyTree.system, at: 0, raw: "_dlt_id"),
              trees[t].nodes[load].column >= 0, trees[t].nodes[id].column >= 0
        else { return nil }
        direct.system[t] = (trees[t].nodes[load].column, trees[t].nodes[id].column)
        return direct.system[t]
    }

    /// Reads the fields of the object the cursor is in (its `{` read), whose key path is `node`: scalars
    /// into the row, nested objects onto the stack (dlt's order, as ``flatten(_:table:hint:)``).
    private func directFields(_ cursor: inout JSONCursor, node parent: Int, nodes: UnsafeBufferPointer<KeyTree.Node>,
                              table t: Int, hint: ResolvedHints?) throws -> Bool
    {
        var index = 0
        while try cursor.toKey(first: index == 0) {
            // The key at this position last time, by one comparison; else a scan and a lookup.
            let found: Int?
            let kids = nodes[parent].children
            if index < kids.count, nodes[kids[index]].isPlain,
               nodes[kids[index]].rawBytes.withUnsafeBufferPointer({ cursor.readKey(ifEqualTo: $0) })
            {
                found = kids[index]
            } else {
                guard let bytes = try cursor.readKey() else { return false }
                found = trees[t].child(of: parent, at: index, bytes: bytes)
            }
            guard let node = found, node < direct.seen.count, direct.seen[node] != direct.generation else { return false }
            direct.seen[node] = direct.generation
            index += 1
            let column = nodes[node].column
            switch cursor.kind() {
            case .scalar:
                let value = try cursor.readScalar()
                if case .null = value { continue }
                guard column >= 0, try directPlace(value, column: column, table: t) else { return false }
            case .string:
                guard column >= 0 else { return false }
                if types[t][column] == .text {
                    try cursor.withString { direct.row.append(column: column, text: $0) }
                } else {
                    let text = try cursor.withString { String(decoding: $0, as: UTF8.self) }
                    guard try directPlace(.text(text), column: column, table: t) else { return false }
                }
            case .object:
                if isJSONColumn(nodes[node].name, table: t, hint: hint) { return false }
                direct.stack.append((cursor.position, node))
                try cursor.skipValue(depth: 1)
            case .array:
                // A list with items makes child rows (the general path); an empty one makes nothing.
                if isJSONColumn(nodes[node].name, table: t, hint: hint) || !cursor.readEmptyList() { return false }
            case .invalid:
                return false
            }
        }
        return true
    }

    /// Appends a non-null scalar to the row in its existing column, coerced as ``place(_:table:hint:contract:)``
    /// would; `false` when that would create a column or a variant.
    @inline(__always)
    private func directPlace(_ value: Value, column: Int, table t: Int) throws -> Bool {
        let type = types[t][column]
        guard type != .json else { return false }
        if value.dataType == type {
            direct.row.append(column: column, value)
            return true
        }
        guard let coerced = value.coerced(to: type) else { return false }
        direct.row.append(column: column, storable(coerced, type))
        return true
    }
}
