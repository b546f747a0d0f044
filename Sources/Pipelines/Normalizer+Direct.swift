import PipelineCore

/// The direct path: a root row read from its JSON text straight into its normalized frames (its own
/// and its child rows'), with no ``Value`` tree, no `String` per key and none per text value. It
/// covers the rows that only need flattening and typing against tables and columns that exist;
/// everything else (and any doubt) takes the general path, ``Normalizer/normalize(_:table:exactFloats:)``,
/// which writes the same frames.
extension Normalizer {
    /// What the direct path keeps between rows (allocated once).
    struct DirectScratch {
        /// The frames of the row tree being read, in the order the general path writes them.
        let rows = RowFrames()
        var rowTables: [Int] = []
        var used = 0
        /// Nested objects to read after the fields of their level: byte offset and key tree node.
        var stack: [(position: Int, node: Int)] = []
        /// Lists met in the rows being read: byte offset of the `[` and key tree node.
        var lists: [(position: Int, node: Int)] = []
        /// Per table, per key tree node: the row object that met it last (a key given twice takes the general path).
        var seen: [NodeMarks] = []
        var generation: UInt32 = 0
        /// How many times ``generation`` wrapped (and every mark was forgotten).
        var wraps = 0
        /// Per table: its hints as ``Normalizer/hints`` holds them (`.some(nil)`: none), looked up once.
        var tableHints: [ResolvedHints??] = []
        /// Per table: its system columns in the order the general path writes them (root: `_dlt_load_id`,
        /// `_dlt_id`; child: `_dlt_parent_id`, `_dlt_list_idx`, `_dlt_id`), once all exist.
        var system: [SystemColumns?] = []
        /// For binary frames of the file being read: the key tree node of each key id of the file's key
        /// table (-1: not looked up yet), and its column once it has one (see ``directBeginFile()``).
        var keyNodes: [(node: Int32, column: Int32)] = []
        var keyTable = -1
        /// Under merge: the root row's required columns (keys first met by their exact name at the top
        /// level) and the values read for them, in the order of ``ResolvedHints/required``.
        var keys: [(node: Int, value: Value?)] = []
        /// Under merge: the root row's `_dlt_id`, which its child rows carry as `_dlt_root_id` ("" otherwise).
        var rootId = ""
        /// Under merge with a primary key: the root row's key as the batch dedup compares it.
        var dedupKey: String?
    }

    /// Forgets the key ids of the previous file: call when a new file of extracted rows is opened.
    func directBeginFile() {
        direct.keyNodes.removeAll(keepingCapacity: true)
        direct.keyTable = -1
    }

    /// Normalizes one root row of table `t` from the binary frame `reader` read last (a CSV record, a
    /// flat row a source wrote), writing the frame the general path would write. Returns `false`, having
    /// changed nothing but the reader's key table, when the row needs the general path (as
    /// ``normalizeDirect(_:table:)``: a key or column not met before, a value its column cannot take as it
    /// is, a key given twice, an object or a list, text that is not valid UTF-8).
    func normalizeDirect(flatRowOf reader: PackageFileReader, table t: Int) throws -> Bool {
        guard schema.tables[t].parent == nil, hints[schema.tables[t].name]?.disposition != .merge,
              let system = directSystemColumns(t) else { return false }
        if direct.keyTable != t {
            direct.keyNodes.removeAll(keepingCapacity: true)
            direct.keyTable = t
        }
        direct.used = 0
        let slot = directBeginRow(table: t)
        let rows = direct.rows
        var index = 0
        let complete = reader.forEachFlatField { id, payload in
            if id >= direct.keyNodes.count {
                direct.keyNodes.append(contentsOf: repeatElement((node: Int32(-1), column: Int32(-1)), count: id + 1 - direct.keyNodes.count))
            }
            var (node, column) = (Int(direct.keyNodes[id].node), Int(direct.keyNodes[id].column))
            if node < 0 {
                guard let found = trees[t].child(of: KeyTree.row, at: index, raw: reader.key(id)) else { return false }
                node = found
                direct.keyNodes[id].node = Int32(found)
            }
            if column < 0 {
                column = trees[t].nodes[node].column
                direct.keyNodes[id].column = Int32(column)
            }
            index += 1
            guard direct.seen[t].mark(node, direct.generation) else { return false }
            let value: Value
            switch payload {
            case .null: return true
            case .text(let bytes):
                guard column >= 0 else { return false }
                if types[t][column] == .text {
                    // The general path reads text with repair: only valid UTF-8 is copied as it is.
                    guard UTF8Text.isValid(bytes) else { return false }
                    rows[slot].append(column: column, text: bytes)
                    return true
                }
                value = .text(String(decoding: bytes, as: UTF8.self))
            case .bool(let b): value = .bool(b)
            case .bigint(let i): value = .bigint(i)
            case .double(let d): value = .double(d)
            case .scaledDouble(let m, let k): value = .double(FieldPayload.scaledDouble(m, k))
            case .date(let d): value = .date(d)
            case .timestamp(let ts): value = .timestamp(ts)
            case .decimal(let bytes): value = .decimal(String(decoding: bytes, as: UTF8.self))
            case .binary(let bytes): value = .binary(Array(bytes))
            }
            guard column >= 0 else { return false }
            return directPlace(value, column: column, type: types[t][column], into: &rows[slot])
        }
        guard complete else { return false }
        rows[slot].append(column: system[0], text: loadId)
        rows[slot].append(column: system[1], text: ids.random())
        try writer(for: t).writeFlatRow(rows[slot])
        rowCounts[t] += 1
        ordinal += 1
        return true
    }

    /// Whether rows of `table` may take the direct path: under an evolving contract (no row held back),
    /// with no exact floats (decimal columns), not in a merge's second pass; under merge, `delete-insert`
    /// and `upsert` whose required columns are their keys; otherwise with no column hinted not nullable.
    func takesDirectPath(_ table: String, exactFloats: Bool) -> Bool {
        guard let hint = hints[table], !exactFloats, hint.contract.isEvolve, superseded == nil else { return false }
        guard hint.disposition == .merge else { return hint.required.isEmpty }
        return hint.strategy != .scd2 && Set(hint.required) == hint.primaryKey.union(hint.mergeKey)
    }

    /// Under merge, finds the root key tree nodes of table `t`'s required columns (keys met before under
    /// their exact name); `false` when one is not there (the general path finds it or reports it missing).
    private func directKeyNodes(_ t: Int, _ hint: ResolvedHints) -> Bool {
        direct.keys.removeAll(keepingCapacity: true)
        for name in hint.required {
            guard let node = trees[t].child(of: KeyTree.row, at: 0, raw: name) else { return false }
            direct.keys.append((node, nil))
        }
        return true
    }

    /// Normalizes one root row of table `t` (one ``takesDirectPath(_:exactFloats:)`` allows) from its JSON
    /// text, writing the frames the general path would write. Returns `false`, having changed nothing,
    /// when the row needs the general path: a key, column or child table not met before, a value its
    /// column's type cannot take as it is, a json column, a list of lists, a key given twice or written
    /// with escapes, or JSON the general path will report as broken.
    func normalizeDirect(_ json: UnsafeBufferPointer<UInt8>, table t: Int) throws -> Bool {
        let idsBefore = ids
        let hint = directHints(t)
        direct.rootId = ""
        direct.dedupKey = nil
        if !direct.keys.isEmpty { direct.keys.removeAll(keepingCapacity: true) }
        if let hint, hint.disposition == .merge, !directKeyNodes(t, hint) { return false }
        direct.used = 0
        // Empty after every row taken (checked first: a call and a uniqueness check per row otherwise).
        if !direct.stack.isEmpty { direct.stack.removeAll(keepingCapacity: true) }
        if !direct.lists.isEmpty { direct.lists.removeAll(keepingCapacity: true) }
        var cursor = JSONCursor(json)
        let wraps = direct.wraps
        let complete: Bool
        do {
            if cursor.enterObject() {
                complete = try directRow(&cursor, table: t, hint: hint, id: nil, parentId: "", index: 0)
                    && cursor.isAtEnd()
            } else {
                complete = false
            }
        } catch {
            complete = false  // broken JSON: the general path reports it
        }
        // Marks forgotten while the row was read (a key given twice would not be noticed): the general path.
        guard complete, direct.wraps == wraps else {
            ids = idsBefore  // the general path makes the same root id
            return false
        }
        if let key = direct.dedupKey { try repeatedKeys.record(table: schema.tables[t].name, key: key, ordinal: ordinal + 1) }
        for k in 0..<direct.used {
            try writer(for: direct.rowTables[k]).writeFlatRow(direct.rows[k])
            rowCounts[direct.rowTables[k]] += 1
        }
        ordinal += 1
        return true
    }

    /// Reads one row object of table `t` (its `{` read; the cursor ends after its `}`): its fields into a
    /// frame, and the rows of its lists, depth first. `id` is a child row's id (`nil`: a root row, whose
    /// id is random); `parentId` and `index` place a child row in its parent's list. A list's rows are read
    /// where the list is, in one pass over its text, when the row's id is known by then (always but for a
    /// root row under merge, whose id may be made of its key: its lists are read again after its fields).
    private func directRow(_ cursor: inout JSONCursor, table t: Int, hint: ResolvedHints?, id: String?,
                           parentId: String, index: Int) throws -> Bool
    {
        guard let system = directSystemColumns(t) else { return false }
        let slot = directBeginRow(table: t)
        let listsStart = direct.lists.count
        let stackStart = direct.stack.count
        let nodes = trees[t].nodes
        // The frame is built outside the pool (no accessor of the pool per value), then put back.
        var row = FlatRowBuilder(reserving: 0)
        swap(&row, &direct.rows[slot])
        let marks = direct.seen[t]
        // Child rows read on the way take generations of their own: this row's keys keep this one.
        let generation = direct.generation
        let knownId = id ?? (hint?.disposition == .merge ? nil : ids.random())
        let fieldsRead = try nodes.withUnsafeBufferPointer { nodes throws -> Bool in
            guard try directFields(&cursor, node: KeyTree.row, nodes: nodes, marks: marks, generation: generation, table: t, hint: hint,
                                   into: &row, keys: id == nil, rowId: knownId)
            else { return false }
            let end = cursor.position
            while direct.stack.count > stackStart {
                let (position, node) = direct.stack.removeLast()
                cursor.position = position
                guard cursor.enterObject(), try directFields(&cursor, node: node, nodes: nodes, marks: marks, generation: generation, table: t,
                                                             hint: hint, into: &row, keys: false, rowId: knownId) else {
                    return false
                }
            }
            cursor.position = end
            return true
        }
        guard fieldsRead, id != nil || hint?.disposition != .merge || directRootId(hint!) else {
            swap(&row, &direct.rows[slot])
            return false
        }
        let ownId = knownId ?? direct.rootId  // under merge, ``directRootId(_:)`` made it
        if id == nil {
            row.append(column: system[0], text: loadId)
        } else {
            if system.count == 4 { row.append(column: system[0], text: direct.rootId) }
            row.append(column: system[system.count - 3], text: parentId)
            row.append(column: system[system.count - 2], .bigint(Int64(index)))
        }
        row.append(column: system[system.count - 1], text: ownId)
        swap(&row, &direct.rows[slot])
        guard direct.lists.count > listsStart else { return true }
        // Child rows, list by list in the order the lists appeared, each list's items in order.
        let end = cursor.position
        for (position, node) in direct.lists[listsStart...] {
            cursor.position = position
            guard try directList(&cursor, node: node, table: t, rowId: ownId) else { return false }
        }
        direct.lists.removeSubrange(listsStart...)
        cursor.position = end
        return true
    }

    /// Reads the rows of the list at the cursor (its `[`; the cursor ends after its `]`) into child table
    /// rows of the row whose id is `rowId`; `node` is the list's key tree node in table `t`.
    private func directList(_ cursor: inout JSONCursor, node: Int, table t: Int, rowId: String) throws -> Bool {
        guard let name = trees[t].nodes[node].childTable, let child = tableIndex[name], registeredTables[name] == nil else {
            return false
        }
        cursor.position += 1  // past the `[`
        var item = 0
        let childIds = RowIds.ChildIds(parent: rowId, table: name)
        while try cursor.toItem(first: item == 0) {
            let childId = childIds.id(item)
            switch cursor.kind() {
            case .object:
                _ = cursor.enterObject()
                guard try directRow(&cursor, table: child, hint: nil, id: childId, parentId: rowId, index: item) else { return false }
            case .scalar, .string:
                // A scalar item is a row of one field, `value`.
                guard let system = directSystemColumns(child),
                      let valueNode = trees[child].child(of: KeyTree.row, at: 0, raw: "value")
                else { return false }
                let itemSlot = directBeginRow(table: child)
                guard try directValue(&cursor, column: trees[child].nodes[valueNode].column, table: child, into: &direct.rows[itemSlot])
                else { return false }
                if system.count == 4 { direct.rows[itemSlot].append(column: system[0], text: direct.rootId) }
                direct.rows[itemSlot].append(column: system[system.count - 3], text: rowId)
                direct.rows[itemSlot].append(column: system[system.count - 2], .bigint(Int64(item)))
                direct.rows[itemSlot].append(column: system[system.count - 1], text: childId)
            case .array, .invalid:
                return false  // a list of lists: its items are rows of a `list` field (the general path)
            }
            item += 1
        }
        return true
    }

    /// Under merge, after the root row's fields: checks that every required column got a value, and makes
    /// the key text, the batch dedup key and the root row's id as ``normalize(_:table:exactFloats:)`` does
    /// (upsert: a hash of the key; delete-insert: random). `false` when a required value is missing or null.
    private func directRootId(_ hint: ResolvedHints) -> Bool {
        guard direct.keys.allSatisfy({ $0.value.map { !$0.isNull } ?? false }) else { return false }
        if !hint.keyOrder.isEmpty {
            // The primary key's columns are required ones: their values, in the key's order.
            let values = hint.keyOrder.map { name in direct.keys[hint.required.firstIndex(of: name)!].value! }
            direct.dedupKey = values.map(\.textForm).joined(separator: "\u{1F}")
            if hint.strategy == .upsert {
                direct.rootId = StableHash.of(values.map(JSONText.encode).joined(separator: "\u{1F}"))
                return true
            }
        }
        direct.rootId = ids.random()
        return true
    }

    /// Table `t`'s hints, without hashing its name per row.
    private func directHints(_ t: Int) -> ResolvedHints? {
        if t < direct.tableHints.count, let known = direct.tableHints[t] { return known }
        while direct.tableHints.count <= t { direct.tableHints.append(nil) }
        let found = hints[schema.tables[t].name]
        direct.tableHints[t] = .some(found)
        return found
    }

    /// Takes the next frame of the row tree for a row of table `t`; returns its slot.
    private func directBeginRow(table t: Int) -> Int {
        if direct.used == direct.rows.count {
            direct.rows.append()
            direct.rowTables.append(t)
        }
        let slot = direct.used
        direct.used += 1
        direct.rows[slot].removeAll()
        direct.rowTables[slot] = t
        direct.generation &+= 1
        if direct.generation == 0 {  // wrapped: forget every mark
            for marks in direct.seen { marks.clear() }
            direct.generation = 1
            direct.wraps += 1
        }
        while direct.seen.count <= t { direct.seen.append(NodeMarks()) }
        direct.seen[t].grow(to: trees[t].nodes.count)
        return slot
    }

    /// Table `t`'s system columns (see ``DirectScratch/system``), once the general path has made them all.
    private func directSystemColumns(_ t: Int) -> SystemColumns? {
        while direct.system.count <= t { direct.system.append(nil) }
        if let known = direct.system[t] { return known }
        let merging = hints[schema.tables[t].root ?? schema.tables[t].name]?.disposition == .merge
        let names = schema.tables[t].parent == nil ? ["_dlt_load_id", "_dlt_id"]
            : (merging ? ["_dlt_root_id"] : []) + ["_dlt_parent_id", "_dlt_list_idx", "_dlt_id"]
        var columns = SystemColumns()
        for name in names {
            guard let node = trees[t].child(of: KeyTree.system, at: 0, raw: name), trees[t].nodes[node].column >= 0 else { return nil }
            columns.append(trees[t].nodes[node].column)
        }
        direct.system[t] = columns
        return columns
    }

    /// Reads the fields of the object the cursor is in (its `{` read), whose key path is `node`: scalars
    /// into the row's frame, nested objects onto the stack (dlt's order, as ``flatten(_:table:hint:)``),
    /// lists into child rows of the row whose id is `rowId`, or onto the list of lists when it is not known
    /// yet. Keys are marked met by `generation`, the row's.
    private func directFields(_ cursor: inout JSONCursor, node parent: Int, nodes: UnsafeBufferPointer<KeyTree.Node>,
                              marks: NodeMarks, generation: UInt32, table t: Int, hint: ResolvedHints?, into row: inout FlatRowBuilder,
                              keys: Bool, rowId: String?) throws -> Bool
    {
        let stamp = UInt32(truncatingIfNeeded: addedColumns &+ 1)
        @inline(__always) func isJSON(_ node: Int) -> Bool {
            if marks.notJSON(node, stamp) { return false }
            if isJSONColumn(nodes[node].name, table: t, hint: hint) { return true }
            marks.setNotJSON(node, stamp)
            return false
        }
        var index = 0
        let kids = nodes[parent].children
        while try cursor.toKey(first: index == 0) {
            // The key at this position last time, by one comparison; else a scan and a lookup.
            let found: Int?
            if index < kids.count, nodes[kids[index]].isPlain,
               nodes[kids[index]].rawBytes.withUnsafeBufferPointer({ cursor.readKey(ifEqualTo: $0) })
            {
                found = kids[index]
            } else {
                guard let bytes = try cursor.readKey() else { return false }
                found = trees[t].child(of: parent, at: index, bytes: bytes)
            }
            guard let node = found, marks.mark(node, generation) else { return false }
            index += 1
            switch cursor.kind() {
            case .object:
                if isJSON(node) { return false }
                direct.stack.append((cursor.position, node))
                try cursor.skipNested()  // read again, checked, from the stack
            case .array:
                if isJSON(node) { return false }
                // An empty list makes nothing; one with items makes child rows, read here when this row's id
                // is known, else after this row's fields.
                if cursor.readEmptyList() { break }
                if let rowId {
                    guard try directList(&cursor, node: node, table: t, rowId: rowId) else { return false }
                } else {
                    direct.lists.append((cursor.position, node))
                    try cursor.skipNested()  // its items are read again, checked, as child rows
                }
            case .scalar, .string:
                let key = keys ? direct.keys.firstIndex { $0.node == node } : nil
                guard try directValue(&cursor, column: nodes[node].column, table: t, into: &row, key: key) else { return false }
            case .invalid:
                return false
            }
        }
        return true
    }

    /// Reads the scalar or string at the cursor into column `column` of `row` (nothing for a null),
    /// coerced as ``place(_:table:hint:contract:)`` would; `false` when that would create a column or a
    /// variant, or the column is json.
    @inline(__always)
    private func directValue(_ cursor: inout JSONCursor, column: Int, table t: Int, into row: inout FlatRowBuilder,
                             key: Int? = nil) throws -> Bool
    {
        if cursor.kind() == .string {
            guard column >= 0 else { return false }
            let type = types[t][column]
            if type == .text, key == nil {
                // Unescaped in the source, it needs no escaping in a JSON file either.
                try cursor.withPlainString { p, plain in plain ? row.append(column: column, plainText: p) : row.append(column: column, text: p) }
                return true
            }
            // ISO 8601 text into a date or timestamp column: parsed from its bytes, without a `String`.
            let quick = key == nil && (type == .timestamp || type == .date)
            var parsed: Value?
            let text = try cursor.withString { p -> String in
                if quick, let value = Value.coercedTimeText(p, to: type) {
                    parsed = value
                    return ""
                }
                return String(decoding: p, as: UTF8.self)
            }
            if let parsed {
                row.append(column: column, parsed)
                return true
            }
            if let key { direct.keys[key].value = .text(text) }
            return directPlace(.text(text), column: column, type: type, into: &row)
        }
        if key == nil, column >= 0 {
            // A number into a number column of its own type: no `Value` on the way.
            let type = types[t][column]
            // A decimal into a double column: its digits, for a text writer to copy (no division here).
            if type == .double, let (m, k, negative) = cursor.readScaledDecimal() {
                row.append(column: column, scaled: m, decimals: k, negative: negative)
                return true
            }
            if type == .double || type == .bigint, let number = try cursor.readNumber() {
                switch (number, type) {
                case (.double(let d), .double): row.append(column: column, double: d)
                case (.bigint(let i), .bigint): row.append(column: column, bigint: i)
                case (.double(let d), _): return directPlace(.double(d), column: column, type: type, into: &row)
                case (.bigint(let i), _): return directPlace(.bigint(i), column: column, type: type, into: &row)
                }
                return true
            }
        }
        let value = try cursor.readScalar()
        if let key { direct.keys[key].value = value }
        if case .null = value { return true }
        guard column >= 0 else { return false }
        return directPlace(value, column: column, type: types[t][column], into: &row)
    }

    @inline(__always)
    private func directPlace(_ value: Value, column: Int, type: DataType, into row: inout FlatRowBuilder) -> Bool {
        guard type != .json else { return false }
        if value.dataType == type {
            row.append(column: column, value)
            return true
        }
        guard let coerced = value.coerced(to: type) else { return false }
        row.append(column: column, storable(coerced, type))
        return true
    }
}

/// The direct path's pool of row frames (``FlatRowBuilder``s, noncopyable, so not an array's elements),
/// kept between rows so their memory is allocated once.
final class RowFrames {
    private var frames = UnsafeMutablePointer<FlatRowBuilder>.allocate(capacity: 4)
    private var capacity = 4
    private(set) var count = 0

    /// Adds an empty frame at the end.
    func append() {
        if count == capacity {
            let bigger = UnsafeMutablePointer<FlatRowBuilder>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: frames, count: count)
            frames.deallocate()
            frames = bigger
            capacity *= 2
        }
        (frames + count).initialize(to: FlatRowBuilder())
        count += 1
    }

    subscript(slot: Int) -> FlatRowBuilder {
        _read {
            precondition(slot >= 0 && slot < count)
            yield frames[slot]
        }
        _modify {
            precondition(slot >= 0 && slot < count)
            yield &frames[slot]
        }
    }

    deinit {
        frames.deinitialize(count: count)
        frames.deallocate()
    }
}

/// Per key tree node of one table, the generation (row object) that met it last, and whether it is known
/// not to be a json column: raw memory, so marking a key costs no uniqueness check of nested arrays.
final class NodeMarks {
    private var marks = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    /// Per node of a nested object or list: `addedColumns + 1` of the normalizer when the node was found
    /// not to be a json column (else a lookup by name per nested value and row, until a column is added).
    private var notJSONStamps = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    private var count = 0

    deinit {
        marks.deallocate()
        notJSONStamps.deallocate()
    }

    /// Marks `node` as met by `generation`; `false` when it was already (a key given twice) or is unknown.
    @inline(__always) func mark(_ node: Int, _ generation: UInt32) -> Bool {
        guard node < count, marks[node] != generation else { return false }
        marks[node] = generation
        return true
    }

    /// Room for `nodes` nodes, the new ones unmarked.
    func grow(to nodes: Int) {
        guard nodes > count else { return }
        func grown(_ old: UnsafeMutablePointer<UInt32>) -> UnsafeMutablePointer<UInt32> {
            let bigger = UnsafeMutablePointer<UInt32>.allocate(capacity: nodes)
            bigger.update(from: old, count: count)
            (bigger + count).initialize(repeating: 0, count: nodes - count)
            old.deallocate()
            return bigger
        }
        marks = grown(marks)
        notJSONStamps = grown(notJSONStamps)
        count = nodes
    }

    /// Whether `node` was found not to be a json column when the normalizer's `addedColumns + 1` was `stamp`.
    @inline(__always) func notJSON(_ node: Int, _ stamp: UInt32) -> Bool { node < count && notJSONStamps[node] == stamp }

    @inline(__always) func setNotJSON(_ node: Int, _ stamp: UInt32) {
        if node < count { notJSONStamps[node] = stamp }
    }

    /// Forgets every mark (the generation counter wrapped).
    func clear() { marks.update(repeating: 0, count: count) }
}

/// A table's system columns in the order the general path writes them (at most four), held inline: the
/// direct path reads them for every row, and an array would cost a reference count each time.
struct SystemColumns {
    private var columns: (Int, Int, Int, Int) = (0, 0, 0, 0)
    private(set) var count = 0

    mutating func append(_ column: Int) {
        switch count {
        case 0: columns.0 = column
        case 1: columns.1 = column
        case 2: columns.2 = column
        default: columns.3 = column
        }
        count += 1
    }

    subscript(k: Int) -> Int {
        switch k {
        case 0: columns.0
        case 1: columns.1
        case 2: columns.2
        default: columns.3
        }
    }
}
