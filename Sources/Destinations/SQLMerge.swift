import DatabaseClients
import PipelineCore

/// The SQL of the three merge strategies, for any destination with staging tables holding the load's
/// rows. A destination supplies its dialect; the logic is written once.
struct SQLMerge {
    /// What differs between SQL databases here.
    struct Dialect {
        /// SQL deleting all but the last-inserted row of each key group of a staging table.
        var keepLast: (_ table: String, _ keys: String) -> String
        /// SQL deleting all but the first-inserted row of each key group.
        var keepFirst: (_ table: String, _ keys: String) -> String
        /// SQL creating (if missing) an index named `name` on a target table's columns.
        var createIndex: (_ name: String, _ table: String, _ columns: String) -> String
        /// A column name as quoted SQL (a destination may shorten long names).
        var identifier: (String) -> String = quoteIdentifier
    }

    struct Statement {
        var sql: String
        /// The statement takes the load's time as its single parameter.
        var bindsNow = false
    }

    let root: TableSchema
    let schema: Schema
    /// A target table's SQL name.
    let target: (String) -> String
    /// A staging table's SQL name.
    let stage: (String) -> String
    /// Tables of the chain with rows in this load, parents first.
    let staged: [TableSchema]
    let dialect: Dialect

    var rootTarget: String { target(root.name) }
    var rootStage: String { stage(root.name) }
    var children: [TableSchema] { schema.tableChain(root: root.name).filter { $0.isChild && $0.column(named: "_dlt_root_id") != nil } }

    /// Columns selecting rows to replace: the merge key when given, else the primary key.
    var keys: [String] { (root.mergeKey.isEmpty ? root.primaryKey : root.mergeKey).map(dialect.identifier) }
    var keyList: String { keys.joined(separator: ", ") }
    var keyTuple: String { keys.count == 1 ? keys[0] : "(\(keyList))" }

    /// SQL true for staged rows that are not marked for deletion (`alias` qualifies the column).
    func kept(_ alias: String = "") -> String {
        guard let flag = root.hardDeleteColumn else { return "1 = 1" }
        let c = alias + dialect.identifier(flag.name)
        return flag.dataType == .bool ? "COALESCE(\(c), FALSE) = FALSE" : "\(c) IS NULL"
    }

    func columns(_ table: TableSchema) -> String { table.columns.map { dialect.identifier($0.name) }.joined(separator: ", ") }

    func deleteChildren(ofRoots ids: String) -> [Statement] {
        children.map { Statement(sql: "DELETE FROM \(target($0.name)) WHERE _dlt_root_id IN (\(ids))") }
    }

    /// Copies the staged child rows of the given roots. With `sharedIds` (scd2, where a version's ids
    /// hash its content) a row already in the target belongs to an identical version loaded before and is
    /// not copied again, and identical staged rows are copied once.
    func insertChildren(ofRoots ids: String, sharedIds: Bool = false) -> [Statement] {
        staged.filter(\.isChild).flatMap { child -> [Statement] in
            let cols = columns(child)
            let insert = "INSERT INTO \(target(child.name)) (\(cols)) SELECT \(cols) FROM \(stage(child.name)) s WHERE _dlt_root_id IN (\(ids))"
            guard sharedIds else { return [Statement(sql: insert)] }
            return [Statement(sql: dialect.keepFirst(stage(child.name), "_dlt_id")),
                    Statement(sql: dialect.createIndex(child.name + "__dlt_id", target(child.name), "_dlt_id")),
                    Statement(sql: insert + " AND NOT EXISTS (SELECT 1 FROM \(target(child.name)) t WHERE t._dlt_id = s._dlt_id)")]
        }
    }

    /// The statements of the root table's strategy, in order.
    func statements() throws -> [Statement] {
        switch root.mergeStrategy ?? .deleteInsert {
        case .deleteInsert: return try deleteInsert()
        case .upsert: return try upsert()
        case .scd2: return scd2()
        }
    }

    var keyIndex: [Statement] {
        keys.isEmpty ? [] : [Statement(sql: dialect.createIndex(root.name + "__merge_key", rootTarget, keyList))]
    }

    var dedupByPrimaryKey: [Statement] {
        root.primaryKey.isEmpty ? [] : [Statement(sql: dialect.keepLast(rootStage, root.primaryKey.map(dialect.identifier).joined(separator: ", ")))]
    }

    func deleteInsert() throws -> [Statement] {
        guard !keys.isEmpty else { throw SluiceError(.configuration, "merge needs a primary key or a merge key", table: root.name) }
        let cols = columns(root)
        return keyIndex + dedupByPrimaryKey
            + deleteChildren(ofRoots: "SELECT _dlt_id FROM \(rootTarget) WHERE \(keyTuple) IN (SELECT \(keyList) FROM \(rootStage))")
            + [Statement(sql: "DELETE FROM \(rootTarget) WHERE \(keyTuple) IN (SELECT \(keyList) FROM \(rootStage))"),
               Statement(sql: "INSERT INTO \(rootTarget) (\(cols)) SELECT \(cols) FROM \(rootStage) WHERE \(kept())")]
            + insertChildren(ofRoots: "SELECT _dlt_id FROM \(rootStage) WHERE \(kept())")
    }

    /// Update in place by primary key, insert new keys; the children of every staged key are replaced.
    func upsert() throws -> [Statement] {
        let pk = root.primaryKey.map(dialect.identifier)
        guard !pk.isEmpty else { throw SluiceError(.configuration, "upsert needs a primary key", table: root.name) }
        let match = pk.map { "\(rootTarget).\($0) = s.\($0)" }.joined(separator: " AND ")
        // The children of the stored row of each staged key: its `_dlt_id` may differ from the staged one
        // (the key written "1" in one load and 1 in another hashes differently), and they must go too.
        let pkList = pk.joined(separator: ", ")
        let storedRoots = "SELECT _dlt_id FROM \(rootTarget) WHERE \(pk.count == 1 ? pkList : "(\(pkList))") IN (SELECT \(pkList) FROM \(rootStage))"
        var out = keyIndex + dedupByPrimaryKey + deleteChildren(ofRoots: "SELECT _dlt_id FROM \(rootStage) UNION \(storedRoots)")
        if root.hardDeleteColumn != nil {
            out.append(Statement(sql: "DELETE FROM \(rootTarget) WHERE _dlt_id IN (SELECT _dlt_id FROM \(rootStage) WHERE NOT (\(kept())))"))
        }
        let settable = root.columns.filter { !$0.primaryKey }.map { dialect.identifier($0.name) }
        if !settable.isEmpty {
            out.append(Statement(sql: """
                UPDATE \(rootTarget) SET \(settable.map { "\($0) = s.\($0)" }.joined(separator: ", "))
                FROM \(rootStage) s WHERE \(match) AND \(kept("s."))
                """))
        }
        let cols = columns(root)
        out.append(Statement(sql: """
            INSERT INTO \(rootTarget) (\(cols)) SELECT \(cols) FROM \(rootStage) s
            WHERE \(kept("s.")) AND NOT EXISTS (SELECT 1 FROM \(rootTarget) WHERE \(match))
            """))
        return out + insertChildren(ofRoots: "SELECT _dlt_id FROM \(rootStage) WHERE \(kept())")
    }

    /// History: changed or vanished rows are retired (`_dlt_valid_to` = the load's time); new versions
    /// go in open-ended. With a merge key only rows whose key is in the load can be retired.
    func scd2() -> [Statement] {
        let scope = root.mergeKey.isEmpty ? "" : " AND \(keyTuple) IN (SELECT \(keyList) FROM \(rootStage))"
        let retired = "SELECT _dlt_id FROM \(rootTarget) WHERE _dlt_valid_to IS NULL AND _dlt_id NOT IN (SELECT _dlt_id FROM \(rootStage) WHERE \(kept()))\(scope)"
        let newRows = "SELECT _dlt_id FROM \(rootStage) WHERE \(kept()) AND _dlt_id NOT IN (SELECT _dlt_id FROM \(rootTarget) WHERE _dlt_valid_to IS NULL)"
        let cols = columns(root)
        return [Statement(sql: dialect.keepFirst(rootStage, "_dlt_id")),  // identical rows in one load are one version
                Statement(sql: dialect.createIndex(root.name + "__dlt_id", rootTarget, "_dlt_id")),
                Statement(sql: "UPDATE \(rootTarget) SET _dlt_valid_to = $1 WHERE _dlt_id IN (\(retired)) AND _dlt_valid_to IS NULL", bindsNow: true)]
            // Children first: afterwards the new versions are in the target and no longer "new".
            + insertChildren(ofRoots: newRows, sharedIds: true)
            + [Statement(sql: "INSERT INTO \(rootTarget) (\(cols)) SELECT \(cols) FROM \(rootStage) WHERE _dlt_id IN (\(newRows))")]
    }
}

/// Load ids are `<seconds>.<microseconds>`: the load's start time.
enum LoadIdTime {
    static func micros(_ loadId: String) -> Int64 {
        let parts = loadId.split(separator: ".")
        guard parts.count == 2, let s = Int64(parts[0]), let f = Int64(parts[1]) else { return 0 }
        return s * 1_000_000 + f
    }
}
