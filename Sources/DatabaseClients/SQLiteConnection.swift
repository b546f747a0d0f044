import CSQLite
import PipelineCore

/// One open SQLite database, lent by a `withConnection` of its owner (a destination, a source), never kept.
public final class SQLiteConnection {
    let db: OpaquePointer
    public let path: String

    public init(path: String) throws {
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(rc)"
            if let handle { sqlite3_close(handle) }
            throw SluiceError(.destination, "cannot open SQLite database: \(message)", file: path)
        }
        db = handle
        self.path = path
        sqlite3_busy_timeout(db, 10_000)
    }

    /// Makes the statement in progress on this connection stop with `SQLITE_INTERRUPT`; safe from any
    /// thread while the connection is open (sqlite3_interrupt).
    public func interrupt() { sqlite3_interrupt(db) }

    deinit { sqlite3_close_v2(db) }

    var lastError: String { String(cString: sqlite3_errmsg(db)) }

    /// The last error, classified: a locked database may pass (transient); data the database cannot hold
    /// (too big, too many columns, a CHECK, NOT NULL or unique constraint) will not pass on a retry (bad
    /// input); the rest, a trigger's `RAISE` included, is a destination fault.
    func failure(_ message: String) -> SluiceError {
        let extended = sqlite3_extended_errcode(db)
        let rc = extended & 0xFF
        let code: SluiceError.Code = switch rc {
        case SQLITE_BUSY, SQLITE_LOCKED: .transient
        case SQLITE_CONSTRAINT where extended == SQLITE_CONSTRAINT | (7 << 8): .destination  // SQLITE_CONSTRAINT_TRIGGER
        case SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_MISMATCH: .badInput
        default: message.contains("too many columns") ? .badInput : .destination
        }
        return SluiceError(code, "SQLite: \(message)")
    }

    /// Runs statements that return no rows.
    public func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &err) != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? lastError
            sqlite3_free(err)
            throw failure(message)
        }
    }

    public func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            // Statements hold identifiers only (values are bound), so quoting a prefix is safe.
            throw failure("\(lastError) in: \(sql.prefix(120))")
        }
        return Statement(stmt, connection: self)
    }

    /// Runs a query with bound text parameters and returns every row as optional strings.
    public func query(_ sql: String, _ parameters: [String] = []) throws -> [[String?]] {
        let stmt = try prepare(sql)
        for (k, p) in parameters.enumerated() {
            sqlite3_bind_text(stmt.handle, Int32(k + 1), p, -1, csqlite_transient())
        }
        var rows: [[String?]] = []
        while try stmt.step() {
            let n = sqlite3_column_count(stmt.handle)
            rows.append((0..<n).map { c in sqlite3_column_text(stmt.handle, c).map { String(cString: $0) } })
        }
        return rows
    }

    /// Names of the columns a table has, or an empty list when it does not exist.
    public func columns(of table: String) throws -> [String] {
        try query("SELECT name FROM pragma_table_info(?)", [table]).compactMap { $0[0] }
    }

    public func tableExists(_ table: String) throws -> Bool {
        try !query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).isEmpty
    }

    /// A prepared statement, finalized when released.
    public final class Statement {
        /// The `sqlite3_stmt` pointer, for binding and reading with the C API.
        public let handle: OpaquePointer
        unowned let connection: SQLiteConnection

        init(_ handle: OpaquePointer, connection: SQLiteConnection) {
            self.handle = handle
            self.connection = connection
        }

        deinit { sqlite3_finalize(handle) }

        /// Steps once; `true` while a row is available.
        @discardableResult
        public func step() throws -> Bool {
            switch sqlite3_step(handle) {
            case SQLITE_ROW: return true
            case SQLITE_DONE: return false
            default: throw connection.failure(connection.lastError)
            }
        }

        /// Binds text (copied) to a 1-based parameter.
        public func bindText(_ index: Int32, _ text: String) throws {
            guard sqlite3_bind_text(handle, index, text, -1, csqlite_transient()) == SQLITE_OK else {
                throw SluiceError(.destination, "SQLite: \(connection.lastError)")
            }
        }

        public func reset() {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
    }
}

/// Quotes an identifier for SQL: the only way a name enters a statement.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
