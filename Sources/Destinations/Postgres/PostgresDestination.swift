import CPostgres
import Foundation
import DatabaseClients
import PipelineCore

/// Postgres: dataset = schema (created if missing), bulk loads by binary `COPY ... FROM STDIN`, merges
/// through temporary staging tables and set-based SQL, one transaction per load that also writes
/// `_dlt_version`, `_dlt_pipeline_state` and `_dlt_loads`.
public struct PostgresDestination: Destination {
    public let credentials: PostgresCredentials
    /// The Postgres schema tables go to.
    public let dataset: String
    /// Cancels any statement of a load running longer (`statement_timeout`, set for the load's
    /// transaction only); `nil` leaves the server's setting.
    public var statementTimeout: Duration?
    /// How long a run waits for another run of the same pipeline in this dataset to finish (the run
    /// lock, ``withRunLock(pipeline:_:)``) before failing; default 10 minutes.
    public var runLockTimeout: Duration = .seconds(600)
    /// Waits before connecting again when connecting fails transiently (refused, the server starting up
    /// or shutting down, as during a restart); one more attempt per delay. Used by reads of the schema and
    /// state and by drops; a load is retried whole by the engine instead.
    public var connectRetryDelays: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8)]
    public var name: String { "postgres" }
    public var location: String { "\(credentials)" }
    /// Postgres text and jsonb cannot hold U+0000, and a table has at most 1,600 columns.
    public var limits: DestinationLimits { DestinationLimits(maxColumns: 1600, textHoldsNUL: false) }

    public init(credentials: PostgresCredentials, dataset: String, statementTimeout: Duration? = nil) {
        self.credentials = credentials
        self.dataset = Naming.normalizePath(dataset)
        self.statementTimeout = statementTimeout
    }

    /// Lends an open connection for the duration of `body`.
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try body(try PostgresConnection(credentials))
    }

    /// Lends an open connection, connecting again after each of ``connectRetryDelays`` while connecting
    /// fails transiently (a restarting server); `body` itself is not repeated.
    func withRetriedConnection<T>(_ body: (PostgresConnection) throws -> T) async throws -> T {
        try body(try await connect())
    }

    /// A new connection, connecting again after each of ``connectRetryDelays`` while connecting fails
    /// transiently (a restarting server).
    func connect() async throws -> PostgresConnection {
        var attempt = 0
        while true {
            do {
                return try PostgresConnection(credentials)
            } catch var error as SluiceError where error.code == .transient {
                guard attempt < connectRetryDelays.count else {
                    if attempt > 0 { error.message += " (after \(attempt) retries)" }
                    throw error
                }
                try await Task.sleep(for: connectRetryDelays[attempt])
                attempt += 1
            }
        }
    }

    var schemaSQL: String { quoteIdentifier(Self.physical(dataset)) }
    public func qualified(_ table: String) -> String { schemaSQL + "." + Self.identifier(table) }

    /// Postgres keeps 63 bytes of an identifier and cuts the rest, so two long names could collide. A
    /// longer name keeps its start and end around a tag hashed from the whole name (dlt's shape; the
    /// tag is our own hash). The schema keeps the full name.
    static let maxIdentifierLength = 63

    public static func physical(_ name: String) -> String {
        let bytes = Array(name.utf8)
        guard bytes.count > maxIdentifierLength else { return name }
        let tag = String(SHA256.hex(name).prefix(8))
        let remaining = maxIdentifierLength - tag.count
        var head = Array(bytes.prefix(remaining / 2 + remaining % 2))
        var tail = Array(bytes.suffix(remaining / 2))
        // Never cut a UTF-8 sequence in half.
        while let last = head.last, last & 0xC0 == 0x80 || last >= 0xC0 { head.removeLast() }
        while let first = tail.first, first & 0xC0 == 0x80 { tail.removeFirst() }
        return String(decoding: head, as: UTF8.self) + tag + String(decoding: tail, as: UTF8.self)
    }

    /// A table or column name as quoted SQL, shortened to what Postgres keeps.
    static func identifier(_ name: String) -> String { quoteIdentifier(physical(name)) }

    public func storedSchema(named name: String) async throws -> Schema? {
        try await withRetriedConnection { db -> Schema? in
            guard try tableExists(db, "_dlt_version") else { return nil }
            let rows = try db.query("SELECT schema FROM \(qualified("_dlt_version")) WHERE schema_name = $1 ORDER BY version DESC, inserted_at DESC LIMIT 1", [name])
            guard let text = rows.first?[0] ?? nil else { return nil }
            return try JSONDecoder().decode(Schema.self, from: Data(text.utf8))
        }
    }

    public func storedState(pipeline: String) async throws -> PipelineState? {
        try await withRetriedConnection { db -> PipelineState? in
            guard try tableExists(db, "_dlt_pipeline_state") else { return nil }
            let rows = try db.query("SELECT state FROM \(qualified("_dlt_pipeline_state")) WHERE pipeline_name = $1 ORDER BY version DESC LIMIT 1", [pipeline])
            guard let text = rows.first?[0] ?? nil else { return nil }
            return try JSONDecoder().decode(PipelineState.self, from: Data(text.utf8))
        }
    }

    public func drop(_ schema: Schema) async throws {
        try await withRetriedConnection { db in
            try db.execute("BEGIN")
            do {
                for table in schema.dataTables.reversed() { try db.execute("DROP TABLE IF EXISTS \(qualified(table.name))") }
                if try tableExists(db, "_dlt_version") {
                    _ = try db.query("DELETE FROM \(qualified("_dlt_version")) WHERE schema_name = $1", [schema.name])
                }
                if try tableExists(db, "_dlt_pipeline_state") {
                    _ = try db.query("DELETE FROM \(qualified("_dlt_pipeline_state")) WHERE pipeline_name = $1", [schema.name])
                }
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }

    func tableExists(_ db: PostgresConnection, _ table: String) throws -> Bool {
        try !db.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
                      [Self.physical(dataset), Self.physical(table)]).isEmpty
    }

    /// Physical column names of a table.
    func columns(_ db: PostgresConnection, _ table: String) throws -> [String] {
        try db.query("SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
                     [Self.physical(dataset), Self.physical(table)]).compactMap { $0[0] }
    }

    static func sqlType(_ type: DataType) -> String {
        switch type {
        case .text: return "text"
        case .double: return "double precision"
        case .bool: return "boolean"
        case .timestamp: return "timestamp with time zone"
        case .bigint: return "bigint"
        case .binary: return "bytea"
        case .json: return "jsonb"
        case .decimal: return "numeric"
        case .date: return "date"
        }
    }

    /// Loads a package in one transaction. Cancelling the calling task cancels the statement in progress
    /// (a cancel request to the server) and rolls the transaction back: a cancelled load commits nothing.
    /// A transient failure (connecting included) is thrown as such: the engine retries the whole load
    /// (``Pipeline/Configuration/loadRetryDelays``).
    public func load(_ package: NormalizedPackage) async throws {
        let session = try PostgresLoadSession(self, schemaName: package.schema.name)
        try await session.db.cancellable { try session.commit(package, streamed: []) }
    }

    public func beginLoad(schemaName: String, loadId: String) throws -> (any LoadSession)? {
        try PostgresLoadSession(self, schemaName: schemaName)
    }
}

/// One load's work inside the transaction.
struct PostgresLoad {
    let db: PostgresConnection
    let destination: PostgresDestination
    let package: NormalizedPackage

    func q(_ table: String) -> String { destination.qualified(table) }

    /// What every load does first in its transaction. Loads into one dataset take turns until they
    /// commit: two first loads would otherwise both create the schema and the system tables, and one would
    /// fail on a catalog unique violation. Taken first, always, then the pipeline's commit lock, so the
    /// state check of ``run(streamed:)`` sees another run's commit.
    static func begin(_ db: PostgresConnection, _ destination: PostgresDestination, schemaName: String) throws {
        _ = try db.query("SELECT pg_advisory_xact_lock(hashtext($1))", ["sluice.dataset." + PostgresDestination.physical(destination.dataset)])
        _ = try db.query("SELECT pg_advisory_xact_lock($1::int, $2::int)", destination.lockKey(.commit, pipeline: schemaName))
        try db.execute("CREATE SCHEMA IF NOT EXISTS \(destination.schemaSQL)")
        for sql in SystemTables.createStatements(table: destination.qualified, sqlType: PostgresDestination.sqlType) { try db.execute(sql) }
    }

    /// Everything but the rows of `streamed` tables (copied earlier in the same transaction), after ``begin(_:_:schemaName:)``.
    func run(streamed: Set<String>) throws {
        // Loaded already (loads are idempotent per package). Two pipelines may share a dataset and, started
        // in the same microsecond, a load id: the schema name tells their packages apart.
        if try !db.query("SELECT 1 FROM \(q("_dlt_loads")) WHERE load_id = $1 AND schema_name = $2",
                         [package.loadId, package.schema.name]).isEmpty {
            guard streamed.isEmpty else { throw SluiceError(.package, "load package \(package.loadId) is loaded already") }
            return
        }
        try SystemRecords(package: package).checkState(destination: destination.described, table: q, query: { try db.query($0, $1) })
        let schema = package.schema
        let files = Dictionary(package.files.map { ($0.table, $0) }, uniquingKeysWith: { a, _ in a })
        for table in schema.dataTables where files[table.name] != nil { try Self.migrate(table, db: db, destination: destination) }
        for root in package.replacedRoots {
            for table in schema.tableChain(root: root) where try destination.tableExists(db, table.name) {
                try db.execute("DELETE FROM \(q(table.name))")
            }
        }
        var merged = Set<String>()
        for table in schema.dataTables where !table.isChild && table.writeDisposition == .merge && files[table.name] != nil {
            try merge(root: table, files: files)
            for t in schema.tableChain(root: table.name) { merged.insert(t.name) }
        }
        for file in package.files where !merged.contains(file.table) && !streamed.contains(file.table) && file.rowCount > 0 {
            guard let table = schema.table(named: file.table) else { continue }
            try Self.copy(rows: try PackageFileReader(path: file.path).readFrame, into: table, target: q(table.name), db: db)
        }
        try SystemRecords(package: package).write(table: q, query: { try db.query($0, $1) })
    }

    /// Creates the table, or adds the columns it lacks.
    static func migrate(_ table: TableSchema, db: PostgresConnection, destination: PostgresDestination) throws {
        func q(_ table: String) -> String { destination.qualified(table) }
        let existing = Set(try destination.columns(db, table.name))
        if existing.isEmpty {
            let cols = table.columns.map { PostgresDestination.identifier($0.name) + " " + PostgresDestination.sqlType($0.dataType) + ($0.nullable ? "" : " NOT NULL") }
            try db.execute("CREATE TABLE \(q(table.name)) (\(cols.joined(separator: ", ")))")
            return
        }
        for c in table.columns where !existing.contains(PostgresDestination.physical(c.name)) {
            try db.execute("ALTER TABLE \(q(table.name)) ADD COLUMN \(PostgresDestination.identifier(c.name)) \(PostgresDestination.sqlType(c.dataType))")
        }
    }

    /// Streams flat-row frames (from `next`, as ``LoadSession/append(_:rows:)``) with binary COPY, 1 MB at a time.
    static func copy(rows next: (inout [UInt8]) throws -> Int?, into table: TableSchema, target: String, db: PostgresConnection) throws {
        let columns = table.columns.map { PostgresDestination.identifier($0.name) }.joined(separator: ", ")
        var encoder = BinaryCopyEncoder(types: table.columns.map(\.dataType))
        var frame: [UInt8] = []
        try db.copy("COPY \(target) (\(columns)) FROM STDIN (FORMAT binary)") { send in
            while true {
                frame.removeAll(keepingCapacity: true)
                guard try next(&frame) != nil else { break }
                try frame.withUnsafeBufferPointer { try encoder.append(frame: $0) }
                if encoder.buffer.count >= 1 << 20 {
                    if Task.isCancelled { throw CancellationError() }
                    try encoder.buffer.withUnsafeBytes { try send($0) }
                    encoder.reset()
                }
            }
            encoder.trailer()
            try encoder.buffer.withUnsafeBytes { try send($0) }
        }
    }

    func merge(root: TableSchema, files: [String: NormalizedPackage.TableFile]) throws {
        let chain = package.schema.tableChain(root: root.name).filter { files[$0.name] != nil }
        func stage(_ name: String) -> String { PostgresDestination.identifier("_sluice_stage_" + name) }
        for table in chain {
            try db.execute("CREATE TEMP TABLE \(stage(table.name)) (LIKE \(q(table.name))) ON COMMIT DROP")
            try Self.copy(rows: try PackageFileReader(path: files[table.name]!.path).readFrame, into: table, target: stage(table.name), db: db)
        }
        let merge = SQLMerge(
            root: root, schema: package.schema, target: q, stage: stage, staged: chain,
            dialect: .init(
                keepLast: { "DELETE FROM \($0) WHERE ctid NOT IN (SELECT max(ctid) FROM \($0) GROUP BY \($1))" },
                keepFirst: { "DELETE FROM \($0) WHERE ctid NOT IN (SELECT min(ctid) FROM \($0) GROUP BY \($1))" },
                createIndex: { name, table, columns in "CREATE INDEX IF NOT EXISTS \(PostgresDestination.identifier(name)) ON \(table) (\(columns))" },
                identifier: PostgresDestination.identifier))
        let now = Timestamps.formatTimestamp(LoadIdTime.micros(package.loadId))
        for statement in try merge.statements() {
            if statement.bindsNow { _ = try db.query(statement.sql, [now]) } else { try db.execute(statement.sql) }
        }
    }
}

/// A load inside one transaction, open from the first rows to the commit, holding the dataset's and the
/// pipeline's transaction locks throughout (other loads into the dataset wait for it). Rows are copied
/// with binary COPY as they arrive.
final class PostgresLoadSession: LoadSession {
    let db: PostgresConnection
    private let destination: PostgresDestination
    private let canceller: PostgresCanceller
    private var open = true
    /// Per table, the column count it was migrated to in this transaction.
    private var migrated: [String: Int] = [:]

    init(_ destination: PostgresDestination, schemaName: String) throws {
        self.destination = destination
        db = try PostgresConnection(destination.credentials)
        canceller = db.canceller()
        try db.execute("BEGIN")
        do {
            if let timeout = destination.statementTimeout {
                let ms = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
                try db.execute("SET LOCAL statement_timeout = \(max(1, ms))")
            }
            try PostgresLoad.begin(db, destination, schemaName: schemaName)
        } catch {
            rollback()
            throw error
        }
    }

    deinit { rollback() }

    func append(_ table: TableSchema, rows next: (inout [UInt8]) throws -> Int?) throws {
        if migrated[table.name] != table.columns.count {
            try PostgresLoad.migrate(table, db: db, destination: destination)
            migrated[table.name] = table.columns.count
        }
        try PostgresLoad.copy(rows: next, into: table, target: destination.qualified(table.name), db: db)
    }

    func commit(_ package: NormalizedPackage, streamed: Set<String>) throws {
        do {
            try PostgresLoad(db: db, destination: destination, package: package).run(streamed: streamed)
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

    func cancel() { canceller.cancel() }
}
