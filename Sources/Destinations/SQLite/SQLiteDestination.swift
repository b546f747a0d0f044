import CSQLite
import Foundation
import DatabaseClients
import PipelineCore

/// The embedded default destination: one SQLite file per pipeline, tables under their plain names.
///
/// A load is one `BEGIN IMMEDIATE ... COMMIT`: data, `_dlt_version`, `_dlt_pipeline_state` and
/// `_dlt_loads` together; any failure rolls back and leaves the previous data untouched. The write lock
/// `BEGIN IMMEDIATE` takes serializes the commits of concurrent runs, each checking that the stored
/// state is still the one its package was computed from. Rows are inserted by a reused
/// multi-row `INSERT` (up to 100 rows a statement) bound straight from the package's bytes.
public struct SQLiteDestination: Destination {
    public let path: String
    public var name: String { "sqlite" }
    public var location: String { path }
    /// A table has at most as many columns as this SQLite build allows (`SQLITE_MAX_COLUMN`, 2,000 by default).
    public var limits: DestinationLimits { DestinationLimits(maxColumns: Self.maxColumns) }

    /// The column limit of the linked SQLite library.
    static let maxColumns: Int = {
        var db: OpaquePointer?
        defer { sqlite3_close(db) }
        guard sqlite3_open(":memory:", &db) == SQLITE_OK, let db else { return 2000 }
        return Int(sqlite3_limit(db, SQLITE_LIMIT_COLUMN, -1))
    }()

    public init(path: String) { self.path = path }

    /// Lends an open connection for the duration of `body`.
    public func withConnection<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let connection = try SQLiteConnection(path: path)
        return try body(connection)
    }

    public func storedSchema(named name: String) async throws -> Schema? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try withConnection { db -> Schema? in
            guard try db.tableExists("_dlt_version") else { return nil }
            let rows = try db.query(
                "SELECT schema FROM _dlt_version WHERE schema_name = ? ORDER BY version DESC, inserted_at DESC LIMIT 1",
                [name])
            guard let text = rows.first?[0] else { return nil }
            return try JSONDecoder().decode(Schema.self, from: Data(text.utf8))
        }
    }

    public func storedState(pipeline: String) async throws -> PipelineState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try withConnection { db -> PipelineState? in
            guard try db.tableExists("_dlt_pipeline_state") else { return nil }
            let rows = try db.query(
                "SELECT state FROM _dlt_pipeline_state WHERE pipeline_name = ? ORDER BY version DESC LIMIT 1", [pipeline])
            guard let text = rows.first?[0] else { return nil }
            return try JSONDecoder().decode(PipelineState.self, from: Data(text.utf8))
        }
    }

    public func tableHasRows(_ table: String) async throws -> Bool? {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        return try withConnection { db in
            try db.tableExists(table) && !db.query("SELECT 1 FROM \(quoteIdentifier(table)) LIMIT 1").isEmpty
        }
    }

    public func drop(_ schema: Schema) async throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try withConnection { db in
            try db.execute("BEGIN IMMEDIATE")
            do {
                for table in schema.dataTables.reversed() {
                    try db.execute("DROP TABLE IF EXISTS \(quoteIdentifier(table.name))")
                }
                if try db.tableExists("_dlt_version") {
                    _ = try db.query("DELETE FROM _dlt_version WHERE schema_name = ?", [schema.name])
                }
                if try db.tableExists("_dlt_pipeline_state") {
                    _ = try db.query("DELETE FROM _dlt_pipeline_state WHERE pipeline_name = ?", [schema.name])
                }
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }

    public func load(_ package: NormalizedPackage) async throws {
        let session = try SQLiteLoadSession(path: path)
        try session.commit(package, streamed: [])
    }

    public func beginLoad(schemaName: String, loadId: String) throws -> (any LoadSession)? {
        try SQLiteLoadSession(path: path)
    }

    /// Page cache of a load's connection, in KiB (for the database and, apart, for temporary tables).
    static let loadCacheKiB = 16_384

    /// Sets up a connection for a load, so its memory stays flat whatever the load's size.
    ///
    /// The rollback journal (SQLite's default) records only pages that existed before the load; WAL
    /// would write every new page twice. FULL sync makes the commit durable before the package moves on.
    /// Temporary storage is a file: merge staging tables, sorts and `IN (SELECT ...)` sets hold a whole
    /// batch, and in memory (`temp_store = MEMORY`) they grew with it (a 1M-row merge peaked over 400 MB);
    /// on a file they live in a bounded page cache and spill to disk (under `SQLITE_TMPDIR` or `TMPDIR`).
    static func prepareForLoad(_ db: SQLiteConnection) throws {
        try db.execute("""
            PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL; PRAGMA temp_store = FILE;
            PRAGMA cache_size = -\(loadCacheKiB); PRAGMA temp.cache_size = -\(loadCacheKiB);
            """)
    }

    /// SQLite column type for a schema type (the logical type is kept in `_dlt_version`).
    static func sqlType(_ type: DataType) -> String {
        switch type {
        case .text, .json: return "TEXT"
        case .double: return "REAL"
        case .bool: return "BOOLEAN"
        case .timestamp: return "TIMESTAMP"
        case .bigint: return "INTEGER"
        case .binary: return "BLOB"
        // NUMERIC affinity would turn long decimals into lossy REALs: keep them exact as text.
        case .decimal: return "TEXT"
        case .date: return "DATE"
        }
    }
}

/// One load's work inside the transaction.
struct SQLiteLoad {
    let db: SQLiteConnection
    let package: NormalizedPackage

    /// Everything but the rows of `streamed` tables (appended earlier in the same transaction).
    func run(streamed: Set<String> = []) throws {
        try createSystemTables()
        // Loaded already (loads are idempotent per package); the schema name tells apart two pipelines
        // sharing a file whose load ids fell in the same microsecond.
        if try !db.query("SELECT 1 FROM _dlt_loads WHERE load_id = ? AND schema_name = ?", [package.loadId, package.schema.name]).isEmpty {
            guard streamed.isEmpty else { throw SluiceError(.package, "load package \(package.loadId) is loaded already") }
            return
        }
        // BEGIN IMMEDIATE holds the database's write lock: commits of all runs take turns here.
        try SystemRecords(package: package).checkState(destination: "sqlite at \(db.path)", table: quoteIdentifier, query: db.query)
        let schema = package.schema
        let filesByTable = Dictionary(package.files.map { ($0.table, $0) }, uniquingKeysWith: { a, _ in a })
        for table in schema.dataTables where filesByTable[table.name] != nil {
            try db.migrate(table)
        }
        for root in package.replacedRoots {
            for table in schema.tableChain(root: root) where try db.tableExists(table.name) {
                try db.execute("DELETE FROM \(quoteIdentifier(table.name))")
            }
        }
        var merged = Set<String>()
        for table in schema.dataTables where !table.isChild && table.writeDisposition == .merge {
            if filesByTable[table.name] != nil {
                try merge(root: table, files: filesByTable)
                for t in schema.tableChain(root: table.name) { merged.insert(t.name) }
            }
        }
        for file in package.files where !merged.contains(file.table) && !streamed.contains(file.table) && file.rowCount > 0 {
            guard let table = schema.table(named: file.table) else { continue }
            let reader = try PackageFileReader(path: file.path)
            try db.insert(rows: reader.readFrame, into: table, as: table.name)
        }
        try SystemRecords(package: package).write(table: quoteIdentifier, query: db.query)
    }

    func createSystemTables() throws {
        for sql in SystemTables.createStatements(table: quoteIdentifier, sqlType: SQLiteDestination.sqlType) { try db.execute(sql) }
    }

    /// Merges a root table and its children from temporary staging tables, by the table's strategy.
    func merge(root: TableSchema, files: [String: NormalizedPackage.TableFile]) throws {
        let chain = package.schema.tableChain(root: root.name).filter { files[$0.name] != nil }
        func stage(_ name: String) -> String { "temp." + quoteIdentifier("_sluice_stage_" + name) }
        for table in chain {
            try db.execute("DROP TABLE IF EXISTS \(stage(table.name))")
            try db.execute("CREATE TEMP TABLE \(quoteIdentifier("_sluice_stage_" + table.name)) AS SELECT * FROM main.\(quoteIdentifier(table.name)) WHERE 0")
            let reader = try PackageFileReader(path: files[table.name]!.path)
            try db.insert(rows: reader.readFrame, into: table, as: "temp." + "_sluice_stage_" + table.name, quoted: false)
        }
        let merge = SQLMerge(
            root: root, schema: package.schema, target: { "main." + quoteIdentifier($0) }, stage: stage, staged: chain,
            dialect: .init(
                keepLast: { "DELETE FROM \($0) WHERE rowid NOT IN (SELECT max(rowid) FROM \($0) GROUP BY \($1))" },
                keepFirst: { "DELETE FROM \($0) WHERE rowid NOT IN (SELECT min(rowid) FROM \($0) GROUP BY \($1))" },
                createIndex: { name, table, columns in
                    // SQLite names the schema on the index, not on the table (`table` is `main."name"`).
                    "CREATE INDEX IF NOT EXISTS main.\(quoteIdentifier(name)) ON \(table.dropFirst("main.".count)) (\(columns))"
                }))
        let now = Timestamps.formatTimestamp(LoadIdTime.micros(package.loadId))
        for statement in try merge.statements() {
            let stmt = try db.prepare(statement.sql.replacingOccurrences(of: "$1", with: "?1"))
            if statement.bindsNow { try stmt.bindText(1, now) }
            try stmt.step()
        }
        for table in chain { try db.execute("DROP TABLE \(stage(table.name))") }
    }
}

extension SQLiteConnection {
    /// Creates the table, or adds the columns it lacks.
    func migrate(_ table: TableSchema) throws {
        let existing = Set(try columns(of: table.name))
        if existing.isEmpty {
            let columns = table.columns.map { c in
                quoteIdentifier(c.name) + " " + SQLiteDestination.sqlType(c.dataType) + (c.nullable ? "" : " NOT NULL")
            }
            try execute("CREATE TABLE \(quoteIdentifier(table.name)) (\(columns.joined(separator: ", ")))")
            return
        }
        for c in table.columns where !existing.contains(c.name) {
            try execute("ALTER TABLE \(quoteIdentifier(table.name)) ADD COLUMN \(quoteIdentifier(c.name)) "
                + SQLiteDestination.sqlType(c.dataType))
        }
    }

    /// Inserts flat-row frames (from `next`, as ``LoadSession/append(_:rows:)``) with multi-row statements, binding text and blobs in place (`SQLITE_STATIC`).
    func insert(rows next: (inout [UInt8]) throws -> Int?, into table: TableSchema, as target: String, quoted: Bool = true) throws {
        let n = table.columns.count
        guard n > 0 else { return }
        let perStatement = max(1, min(100, 32_000 / n))
        let targetSQL = quoted ? quoteIdentifier(target) : target.split(separator: ".", maxSplits: 1).enumerated()
            .map { $0.offset == 0 ? String($0.element) : quoteIdentifier(String($0.element)) }.joined(separator: ".")
        let columnList = table.columns.map { quoteIdentifier($0.name) }.joined(separator: ", ")
        let tuple = "(" + Array(repeating: "?", count: n).joined(separator: ",") + ")"
        func statement(rows: Int) throws -> SQLiteConnection.Statement {
            try prepare("INSERT INTO \(targetSQL) (\(columnList)) VALUES "
                + Array(repeating: tuple, count: rows).joined(separator: ","))
        }
        let full = try statement(rows: perStatement)
        var arena: [UInt8] = []
        var offsets: [(Int, Int)] = []
        arena.reserveCapacity(1 << 20)
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: perStatement * n * Timestamps.maxTextLength)
        defer { scratch.deallocate() }
        let timestamps = TimestampWriter()

        func flush(_ stmt: SQLiteConnection.Statement) throws {
            if Task.isCancelled { throw CancellationError() }  // the transaction rolls back
            try arena.withUnsafeBufferPointer { bytes in
                var scratchUsed = 0
                for (r, (start, length)) in offsets.enumerated() {
                    var cursor = FlatRowCursor(UnsafeBufferPointer(rebasing: bytes[start..<(start + length)]))
                    let base = Int32(r * n + 1)
                    while let (column, value) = cursor.next() {
                        let index = base + Int32(column)
                        switch value {
                        case .null: break
                        case .bool(let b): sqlite3_bind_int64(stmt.handle, index, b ? 1 : 0)
                        case .bigint(let i): sqlite3_bind_int64(stmt.handle, index, i)
                        case .double(let d): sqlite3_bind_double(stmt.handle, index, d)
                        case .scaledDouble(let m, let k): sqlite3_bind_double(stmt.handle, index, FieldPayload.scaledDouble(m, k))
                        case .text(let p), .decimal(let p):
                            sqlite3_bind_text(stmt.handle, index, UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self),
                                              Int32(p.count), csqlite_static())
                        case .binary(let p):
                            sqlite3_bind_blob(stmt.handle, index, p.baseAddress, Int32(p.count), csqlite_static())
                        case .timestamp(let t):
                            let out = scratch + scratchUsed
                            let len = timestamps.write(t, into: out)
                            scratchUsed += Timestamps.maxTextLength
                            sqlite3_bind_text(stmt.handle, index, UnsafeRawPointer(out).assumingMemoryBound(to: CChar.self),
                                              Int32(len), csqlite_static())
                        case .date(let d):
                            let text = Timestamps.formatDate(d)
                            sqlite3_bind_text(stmt.handle, index, text, -1, csqlite_transient())
                        }
                    }
                    try cursor.checkEnd()
                }
                try stmt.step()
                stmt.reset()
            }
            arena.removeAll(keepingCapacity: true)
            offsets.removeAll(keepingCapacity: true)
        }

        while true {
            let start = arena.count
            guard let length = try next(&arena) else { break }
            offsets.append((start, length))
            if offsets.count == perStatement { try flush(full) }
        }
        if !offsets.isEmpty { try flush(try statement(rows: offsets.count)) }
    }
}

/// A load inside one `BEGIN IMMEDIATE` transaction, open from the first rows to the commit. While it is
/// open, other writers of the same file wait (up to the connection's busy timeout); readers read the data
/// as it was before until the load's changes outgrow the page cache, when SQLite's rollback journal takes
/// the exclusive lock until the commit (readers then get SQLITE_BUSY).
final class SQLiteLoadSession: LoadSession {
    private let db: SQLiteConnection
    private var open = true
    /// Per table, the column count it was migrated to in this transaction.
    private var migrated: [String: Int] = [:]

    init(path: String) throws {
        db = try SQLiteConnection(path: path)
        try SQLiteDestination.prepareForLoad(db)
        try db.execute("BEGIN IMMEDIATE")
    }

    deinit { rollback() }

    func append(_ table: TableSchema, rows next: (inout [UInt8]) throws -> Int?) throws {
        if migrated[table.name] != table.columns.count {
            try db.migrate(table)
            migrated[table.name] = table.columns.count
        }
        try db.insert(rows: next, into: table, as: table.name)
    }

    func commit(_ package: NormalizedPackage, streamed: Set<String>) throws {
        do {
            try SQLiteLoad(db: db, package: package).run(streamed: streamed)
            if Task.isCancelled { throw CancellationError() }  // the last point at which nothing is committed
            try db.execute("COMMIT")
            open = false
        } catch {
            rollback()
            throw error
        }
    }

    func rollback() {
        guard open else { return }
        open = false
        try? db.execute("ROLLBACK")
    }

    func cancel() { db.interrupt() }
}
