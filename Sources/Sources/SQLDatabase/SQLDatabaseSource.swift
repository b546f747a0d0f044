import CPostgres
import CSQLite
import DatabaseClients
import Foundation
import PipelineCore

/// The `sql_database` source package: reads tables from Postgres or SQLite with column names and
/// types reflected from the catalog (exact, not inferred), streamed in chunks (a server-side cursor on
/// Postgres), optionally incremental on a column (the bound is pushed into the `WHERE` clause), all
/// tables of a schema or a chosen list; primary keys become merge hints.
///
/// ```toml
/// [pipelines.products]
/// source = "sql_database"
/// connection = "postgres"          # credentials: [sources.products.credentials] in secrets.toml
/// schema = "public"
/// tables = ["products"]
/// incremental = { products = { cursor = "updated_at" } }
/// ```
public enum SQLDatabaseSource {
    /// Where the tables are.
    public enum Connection: Sendable {
        case postgres(PostgresCredentials, schema: String)
        case sqlite(path: String)
    }

    /// A reflected column.
    public struct Column: Sendable, Hashable {
        public var name: String
        public var dataType: DataType
        public var nullable: Bool
    }

    /// A reflected table.
    public struct Table: Sendable, Hashable {
        public var name: String
        public var columns: [Column]
        public var primaryKey: [String]
    }

    /// The tables to read (all of the schema when `tables` is empty), as a source of one resource each.
    public static func source(
        _ connection: Connection, tables names: [String] = [], incremental: [String: Incremental] = [:],
        chunkSize: Int = 10_000, name: String = "sql_database", settings: [String: TableSettings] = [:]
    ) throws -> Source {
        let reflected = try reflect(connection)
        let chosen = names.isEmpty ? reflected : try names.map { n in
            guard let t = reflected.first(where: { $0.name == n }) else {
                throw SluiceError(.configuration, "no table '\(n)' in the source database (tables: \(reflected.map(\.name).joined(separator: ", ")))")
            }
            return t
        }
        if let stray = settings.keys.sorted().first(where: { n in !chosen.contains { $0.name == n } }) {
            throw SluiceError(.configuration, "hints for table '\(stray)', which is not read (tables: \(chosen.map(\.name).joined(separator: ", ")))")
        }
        return Source(name: name, resources: chosen.map { table in
            var hints = ResourceHints(table: table.name, writeDisposition: table.primaryKey.isEmpty ? .append : .merge,
                                      primaryKey: table.primaryKey, incremental: incremental[table.name])
            for c in table.columns {
                hints.columns[c.name] = ColumnHint(dataType: c.dataType, nullable: c.nullable ? nil : false)
            }
            // The catalog's types and keys, then what sluice.toml says of the table (it wins).
            hints = settings[table.name]?.applied(to: hints) ?? hints
            let cursor = hints.incremental?.cursor
            return Resource(name: table.name, hints: hints) { out in
                try await read(table, from: connection, window: out.window, cursor: cursor,
                         chunkSize: chunkSize) { rows in
                    for row in rows { try await out.write(row) }
                }
            }
        })
    }

    // MARK: - reflection

    public static func reflect(_ connection: Connection) throws -> [Table] {
        switch connection {
        case .sqlite(let path):
            let db = try SQLiteConnection(path: path)
            let names = try db.query("""
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                AND name NOT LIKE '\\_dlt\\_%' ESCAPE '\\' ORDER BY name
                """).compactMap { $0[0] }
            return try names.map { name in
                let info = try db.query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid", [name])
                let columns = info.map { Column(name: $0[0]!, dataType: sqliteType($0[1] ?? ""), nullable: $0[2] == "0") }
                let pk = info.filter { ($0[3] ?? "0") != "0" }.sorted { Int($0[3]!)! < Int($1[3]!)! }.map { $0[0]! }
                return Table(name: name, columns: columns, primaryKey: pk)
            }
        case .postgres(let credentials, let schema):
            let db = try PostgresConnection(credentials)
            let rows = try db.query("""
                SELECT c.table_name, c.column_name, c.data_type, c.is_nullable
                FROM information_schema.columns c JOIN information_schema.tables t
                  ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
                WHERE c.table_schema = $1 AND c.table_name NOT LIKE '\\_dlt\\_%'
                ORDER BY c.table_name, c.ordinal_position
                """, [schema])
            let keys = try db.query("""
                SELECT k.table_name, k.column_name FROM information_schema.table_constraints tc
                JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
                WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = $1 ORDER BY k.table_name, k.ordinal_position
                """, [schema])
            var tables: [Table] = []
            for row in rows {
                let column = Column(name: row[1]!, dataType: postgresType(row[2]!), nullable: row[3] == "YES")
                if tables.last?.name == row[0]! { tables[tables.count - 1].columns.append(column) } else {
                    tables.append(Table(name: row[0]!, columns: [column], primaryKey: []))
                }
            }
            for key in keys {
                if let i = tables.firstIndex(where: { $0.name == key[0]! }) { tables[i].primaryKey.append(key[1]!) }
            }
            return tables
        }
    }

    static func postgresType(_ t: String) -> DataType {
        switch t {
        case "bigint", "integer", "smallint": return .bigint
        case "double precision", "real": return .double
        case "numeric": return .decimal
        case "boolean": return .bool
        case "date": return .date
        case "timestamp with time zone", "timestamp without time zone": return .timestamp
        case "bytea": return .binary
        case "json", "jsonb": return .json
        default: return .text
        }
    }

    /// SQLite's declared types, read as its affinity rules read them, plus the names we write.
    static func sqliteType(_ declared: String) -> DataType {
        let t = declared.uppercased()
        if t.contains("BOOL") { return .bool }
        if t.contains("INT") { return .bigint }
        if t.contains("TIMESTAMP") || t.contains("DATETIME") { return .timestamp }
        if t == "DATE" { return .date }
        if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") { return .double }
        if t.contains("DECIMAL") || t.contains("NUMERIC") { return .decimal }
        if t.contains("BLOB") { return .binary }
        if t.contains("JSON") { return .json }
        return .text
    }

    // MARK: - reading

    /// Streams the table's rows in chunks, `WHERE cursor >= start [AND cursor < end] ORDER BY cursor` when incremental.
    static func read(_ table: Table, from connection: Connection, window: IncrementalWindow?, cursor: String?, chunkSize: Int,
                     _ emit: ([Row]) async throws -> Void) async throws
    {
        let columns = table.columns.map { quoteIdentifier($0.name) }.joined(separator: ", ")
        var conditions: [String] = []
        var parameters: [String] = []
        if let cursor, let window {
            let c = quoteIdentifier(cursor)
            if let start = window.start {
                parameters.append(start.sqlText)
                conditions.append("\(c) \(window.startInclusive ? ">=" : ">") $\(parameters.count)")
            }
            if let end = window.end {
                parameters.append(end.sqlText)
                conditions.append("\(c) < $\(parameters.count)")
            }
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let order = cursor.map { " ORDER BY \(quoteIdentifier($0))" } ?? ""
        switch connection {
        case .sqlite(let path):
            let db = try SQLiteConnection(path: path)
            let stmt = try db.prepare("SELECT \(columns) FROM \(quoteIdentifier(table.name))\(filter.replacingOccurrences(of: "$", with: "?"))\(order)")
            for (k, p) in parameters.enumerated() { try stmt.bindText(Int32(k + 1), p) }
            var chunk: [Row] = []
            chunk.reserveCapacity(chunkSize)
            while try stmt.step() {
                var row = Row()
                for (k, column) in table.columns.enumerated() { row.append(column.name, sqliteValue(stmt.handle, Int32(k), column.dataType)) }
                chunk.append(row)
                if chunk.count == chunkSize {
                    try await emit(chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            if !chunk.isEmpty { try await emit(chunk) }
        case .postgres(let credentials, let schema):
            let db = try PostgresConnection(credentials)
            try db.execute("BEGIN READ ONLY; SET LOCAL TIME ZONE 'UTC'")
            let source = quoteIdentifier(schema) + "." + quoteIdentifier(table.name)
            _ = try db.query("DECLARE sluice_read NO SCROLL CURSOR FOR SELECT \(columns) FROM \(source)\(filter)\(order)", parameters)
            while true {
                let rows = try db.query("FETCH \(chunkSize) FROM sluice_read")
                if rows.isEmpty { break }
                try await emit(rows.map { values in
                    Row(zip(table.columns, values).map { column, text in Row.Field(column.name, postgresValue(text, column.dataType)) })
                })
            }
            try db.execute("COMMIT")
        }
    }

    static func sqliteValue(_ stmt: OpaquePointer, _ k: Int32, _ type: DataType) -> Value {
        switch sqlite3_column_type(stmt, k) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER:
            let i = sqlite3_column_int64(stmt, k)
            return type == .bool ? .bool(i != 0) : .bigint(i)
        case SQLITE_FLOAT: return .double(sqlite3_column_double(stmt, k))
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(stmt, k))
            guard n > 0, let p = sqlite3_column_blob(stmt, k) else { return .binary([]) }
            return .binary(Array(UnsafeRawBufferPointer(start: p, count: n)))
        default:
            let text = String(cString: sqlite3_column_text(stmt, k))
            return typed(text, type)
        }
    }

    /// A value from Postgres's text output, typed by the reflected column type.
    static func postgresValue(_ text: String?, _ type: DataType) -> Value {
        guard let text else { return .null }
        switch type {
        case .bool: return .bool(text == "t")
        case .binary:
            guard text.hasPrefix("\\x") else { return .text(text) }
            return Value.text("0x" + text.dropFirst(2)).coerced(to: .binary) ?? .text(text)
        default: return typed(text, type)
        }
    }

    /// Text in a column of `type`, as that type; text that does not read keeps its own type (never lost).
    static func typed(_ text: String, _ type: DataType) -> Value {
        switch type {
        case .text: return .text(text)
        case .decimal: return .decimal(text)
        case .json: return (try? JSONText.decode(text)) ?? .text(text)
        default: return Value.text(text).coerced(to: type) ?? .text(text)
        }
    }
}

extension CursorValue {
    /// The value as SQL text both databases compare correctly with the column.
    var sqlText: String {
        switch self {
        case .timestamp(let t): return Timestamps.formatTimestamp(t)
        default: return description
        }
    }
}
