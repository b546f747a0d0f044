import PipelineCore

/// Values into typed columns (coercion, variants, contracts), tables and their row files.
extension Normalizer {
    /// Puts one non-null value in its column (creating the column, coercing, or using a variant).
    func place(_ entry: Flat, table t: Int, hint: ResolvedHints?, contract: SchemaContract) throws {
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
        // Columns the normalizer writes itself are not the data's (a data key `_dlt_id` is column
        // `_dlt_id_2`, and is the data's: nullable, and under the contract).
        let isSystem = Self.systemColumns.contains(name)
        if !isSystem, existingTables.contains(schema.tables[t].name) {
            guard try allow(contract.columns, "the columns of \(schema.tables[t].name) (new column \(name))",
                            table: schema.tables[t].name, column: name)
            else { return }
        }
        let columnHint = hint?.columns[name]
        var type = value.dataType!
        if let hinted = columnHint?.dataType {
            guard let coerced = value.coerced(to: hinted) else {
                // The hint sets the column's type; a first value it cannot take goes to a variant column, as
                // any later one would (it used to make the column of the value's own type, hint ignored).
                trees[t].setColumn(addColumn(newColumn(name, hinted, hint: hint, isSystem: isSystem, table: t), to: t), of: entry.node)
                try place(entry, table: t, hint: hint, contract: contract)
                return
            }
            type = hinted
            value = coerced
        } else if case .text(let s) = value, let parsed = Self.detectTimestamp(s) {
            type = .timestamp
            value = parsed
        }
        let c = addColumn(newColumn(name, type, hint: hint, isSystem: isSystem, table: t), to: t)
        trees[t].setColumn(c, of: entry.node)
        fields.append((c, storable(value, type)))
    }

    /// A new column of table `t` with its hints (keys, nullability, hard delete) and its source key.
    func newColumn(_ name: String, _ type: DataType, hint: ResolvedHints?, isSystem: Bool, table t: Int) -> ColumnSchema {
        var column = ColumnSchema(name: name, dataType: type)
        column.sourceKey = owners[t][name]?.components(separatedBy: "\u{0}")
        if let hint {
            let columnHint = hint.columns[name]
            column.primaryKey = hint.primaryKey.contains(name)
            column.mergeKey = hint.mergeKey.contains(name)
            if let nullable = columnHint?.nullable { column.nullable = nullable }
            if columnHint?.hardDelete == true { column.hardDelete = true }
        }
        if isSystem { column.nullable = false }
        return column
    }

    @inline(__always) func type(at c: Int, of t: Int) -> DataType { types[t][c] }

    static func detectTimestamp(_ s: String) -> Value? {
        guard s.utf8.count >= 16 else { return nil }
        if case .timestamp(let t) = Timestamps.parse(s) { return .timestamp(t) }
        return nil
    }

    /// Nested values in a json column are stored as JSON text.
    @inline(__always) func storable(_ v: Value, _ type: DataType) -> Value {
        switch v {
        case .object, .array: return .text(JSONText.encode(v))
        default: return v
        }
    }


    func addColumn(_ column: ColumnSchema, to t: Int) -> Int {
        addedColumns += 1
        schema.tables[t].columns.append(column)
        types[t].append(column.dataType)
        let c = schema.tables[t].columns.count - 1
        columnIndex[t][column.name] = c
        return c
    }

    func ensureTable(_ name: String, parent: String?, root: String?,
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
    func writer(for t: Int) throws -> PackageFileWriter {
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
