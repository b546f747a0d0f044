import CSQLite
import Foundation

/// The little of SQLite the run store needs: one connection, prepared statements, bound values.
///
/// Flows imports none of the pipeline modules (DESIGN.md), so it keeps this small wrapper of its own.
/// Not thread-safe: each connection is used by one thread at a time (the writer thread, or readers
/// under the store's lock).
final class SQLiteDatabase {
    let handle: OpaquePointer
    let path: String

    init(path: String, readOnly: Bool = false) throws(RunStoreError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(rc)"
            if let db { sqlite3_close(db) }
            throw RunStoreError("\(path): cannot open the run store: \(message)")
        }
        handle = db
        self.path = path
        // Writers from other processes queue behind the lock instead of failing at once.
        sqlite3_busy_timeout(db, 60_000)
    }

    deinit { sqlite3_close_v2(handle) }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    func execute(_ sql: String) throws(RunStoreError) {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? lastError
            sqlite3_free(err)
            throw RunStoreError("\(path): \(message)")
        }
    }

    func prepare(_ sql: String) throws(RunStoreError) -> Statement {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw RunStoreError("\(path): \(lastError)")
        }
        return Statement(stmt, database: self)
    }

    /// A value to bind.
    enum Value {
        case text(String?)
        case real(Double?)
        case int(Int64?)
        case blob(Data?)
    }

    final class Statement {
        let handle: OpaquePointer
        unowned let database: SQLiteDatabase

        init(_ handle: OpaquePointer, database: SQLiteDatabase) {
            self.handle = handle
            self.database = database
        }

        deinit { sqlite3_finalize(handle) }

        /// Binds `values` to parameters 1..., runs to completion, and resets.
        func run(_ values: [Value]) throws(RunStoreError) {
            bind(values)
            defer { sqlite3_reset(handle) }
            guard sqlite3_step(handle) == SQLITE_DONE else { throw RunStoreError("\(database.path): \(database.lastError)") }
        }

        /// Binds `values`, then calls `row` for each result row.
        func query(_ values: [Value], _ row: (Statement) throws -> Void) throws {
            bind(values)
            defer { sqlite3_reset(handle) }
            while true {
                switch sqlite3_step(handle) {
                case SQLITE_ROW: try row(self)
                case SQLITE_DONE: return
                default: throw RunStoreError("\(database.path): \(database.lastError)")
                }
            }
        }

        private func bind(_ values: [Value]) {
            sqlite3_clear_bindings(handle)
            for (i, value) in values.enumerated() {
                let k = Int32(i + 1)
                switch value {
                case .text(let s?): sqlite3_bind_text(handle, k, s, -1, csqlite_transient())
                case .real(let d?): sqlite3_bind_double(handle, k, d)
                case .int(let n?): sqlite3_bind_int64(handle, k, n)
                case .blob(let data?):
                    data.withUnsafeBytes { raw in
                        _ = sqlite3_bind_blob(handle, k, raw.baseAddress, Int32(raw.count), csqlite_transient())
                    }
                default: sqlite3_bind_null(handle, k)
                }
            }
        }

        func text(_ column: Int32) -> String? {
            sqlite3_column_text(handle, column).map { String(cString: $0) }
        }

        func real(_ column: Int32) -> Double? {
            sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_double(handle, column)
        }

        func int(_ column: Int32) -> Int64? {
            sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
        }

        func blob(_ column: Int32) -> Data? {
            guard sqlite3_column_type(handle, column) != SQLITE_NULL else { return nil }
            let count = Int(sqlite3_column_bytes(handle, column))
            guard let base = sqlite3_column_blob(handle, column) else { return Data() }
            return Data(bytes: base, count: count)
        }
    }
}
