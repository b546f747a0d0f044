import CPostgres
import Foundation
import PipelineCore

/// Where and how to connect, from `[destination.postgres.credentials]` or a connection string.
///
/// `description` never shows the password.
public struct PostgresCredentials: Sendable, Hashable, CustomStringConvertible {
    public var host: String = "127.0.0.1"
    public var port: Int = 5432
    public var database: String = "postgres"
    public var username: String = "postgres"
    public var password: String?
    public var sslmode: String?
    public var connectTimeout: Int = 15

    public init() {}

    /// Reads `key=value` pairs (libpq's connection string) or a `postgresql://user:pass@host:port/db` URL.
    public init(connectionString: String) throws {
        if connectionString.hasPrefix("postgres://") || connectionString.hasPrefix("postgresql://") {
            let rest = connectionString.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            guard rest.count == 3 else { throw SluiceError(.configuration, "invalid Postgres URL (expected postgresql://user:password@host:port/database)") }
            let body = rest[2]
            let parts = body.split(separator: "@", maxSplits: 1)
            let (userInfo, hostPart) = parts.count == 2 ? (String(parts[0]), String(parts[1])) : (nil, String(parts[0]))
            if let userInfo {
                let up = userInfo.split(separator: ":", maxSplits: 1)
                username = String(up[0]).removingPercentEncoding
                if up.count == 2 { password = String(up[1]).removingPercentEncoding }
            }
            let hostAndDb = hostPart.split(separator: "/", maxSplits: 1)
            let hp = hostAndDb[0].split(separator: ":")
            if let h = hp.first, !h.isEmpty { host = String(h) }
            if hp.count > 1 { port = Int(hp[1]) ?? port }
            if hostAndDb.count > 1 {
                let dbAndQuery = hostAndDb[1].split(separator: "?", maxSplits: 1)
                database = String(dbAndQuery[0])
                if dbAndQuery.count > 1 {
                    for pair in dbAndQuery[1].split(separator: "&") {
                        let kv = pair.split(separator: "=", maxSplits: 1)
                        if kv.count == 2, kv[0] == "sslmode" { sslmode = String(kv[1]) }
                        if kv.count == 2, kv[0] == "connect_timeout" { connectTimeout = Int(kv[1]) ?? connectTimeout }
                    }
                }
            }
            return
        }
        for pair in connectionString.split(separator: " ") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            switch kv[0] {
            case "host": host = kv[1]
            case "port": port = Int(kv[1]) ?? port
            case "dbname", "database": database = kv[1]
            case "user", "username": username = kv[1]
            case "password": password = kv[1]
            case "sslmode": sslmode = kv[1]
            case "connect_timeout": connectTimeout = Int(kv[1]) ?? connectTimeout
            default: break
            }
        }
    }

    public var description: String { "\(username)@\(host):\(port)/\(database)" }

    var keywords: [(String, String)] {
        var kv = [("host", host), ("port", String(port)), ("dbname", database), ("user", username),
                  ("connect_timeout", String(connectTimeout)), ("application_name", "sluice"), ("client_encoding", "UTF8"),
                  // No NOTICE lines ("relation ... already exists, skipping") on the console: warnings and errors only.
                  ("options", "-c client_min_messages=warning")]
        if let password { kv.append(("password", password)) }
        if let sslmode { kv.append(("sslmode", sslmode)) }
        return kv
    }
}

extension String {
    var removingPercentEncoding: String {
        var out: [UInt8] = []
        var bytes = Array(utf8)[...]
        while let b = bytes.first {
            bytes = bytes.dropFirst()
            if b == UInt8(ascii: "%"), bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One libpq connection, lent by a `withConnection` of its owner (a destination, a source).
public final class PostgresConnection {
    let conn: OpaquePointer
    private let secret: String?

    public init(_ credentials: PostgresCredentials) throws {
        let kv = credentials.keywords
        let keys = kv.map { strdup($0.0) }
        let values = kv.map { strdup($0.1) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keyPointers = keys.map { UnsafePointer<CChar>($0) } + [nil]
        var valuePointers = values.map { UnsafePointer<CChar>($0) } + [nil]
        guard let c = PQconnectdbParams(&keyPointers, &valuePointers, 0) else {
            throw SluiceError(.destination, "cannot allocate a Postgres connection")
        }
        secret = credentials.password
        if PQstatus(c) != CONNECTION_OK {
            let message = Self.clean(String(cString: PQerrorMessage(c)), secret: credentials.password)
            PQfinish(c)
            // Refused or unreachable may pass (a server restarting); a rejected login will not.
            let permanent = message.contains("authentication failed") || message.contains("does not exist")
            throw SluiceError(permanent ? .destination : .transient, "cannot connect to Postgres at \(credentials): \(message)")
        }
        conn = c
    }

    deinit { PQfinish(conn) }

    /// A handle that cancels the statement in progress on this connection from any thread (libpq's
    /// cancel request); made on the connection's thread, before the work it may cancel.
    public func canceller() -> PostgresCanceller { PostgresCanceller(CancelRequest(PQgetCancel(conn))) }

    /// Runs `body` so that cancelling the calling task asks the server to cancel the statement in
    /// progress (libpq's cancel request, on its own connection); the statement then fails and the
    /// caller rolls back. Throws `CancellationError` when the task was cancelled.
    public func cancellable<T>(_ body: () throws -> T) async throws -> T {
        let request = CancelRequest(PQgetCancel(conn))
        defer { request.free() }
        return try await withTaskCancellationHandler {
            try Task.checkCancellation()
            do {
                let value = try body()
                return value
            } catch {
                if Task.isCancelled { throw CancellationError() }
                throw error
            }
        } onCancel: {
            request.send()
        }
    }

    /// libpq's message, trimmed, with the password cut out should a server ever echo it.
    static func clean(_ message: String, secret: String?) -> String {
        var m = message.trimmingCharacters(in: [" ", "\n"])
        if let secret, !secret.isEmpty { m = m.replacingOccurrences(of: secret, with: "***") }
        return m
    }

    var lastError: String { Self.clean(String(cString: PQerrorMessage(conn)), secret: secret) }

    /// The error of a failed result, classified: connection loss, shutdown, serialization failures and
    /// deadlocks are transient; data the server rejects (SQLSTATE classes 22, 23, 54) is bad input;
    /// everything else (syntax, permissions, timeouts) is a destination fault.
    func failure(_ r: OpaquePointer?, context: String = "Postgres") -> SluiceError {
        let message = r.map { Self.clean(String(cString: PQresultErrorMessage($0)), secret: secret) } ?? lastError
        let state = r.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
        let lost = PQstatus(conn) != CONNECTION_OK
        // Two sessions creating the same schema or table collide on a catalog index: the next try sees it.
        let constraint = r.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "n"))) }.map { String(cString: $0) } ?? ""
        let catalogRace = state == "23505" && constraint.hasPrefix("pg_")
        let transient = lost || catalogRace || state.hasPrefix("08") || ["57P01", "57P02", "57P03", "40001", "40P01"].contains(state)
        // Data exceptions, constraint violations and program limits (a row or table too wide): the data
        // cannot be stored as it is, and no retry will change that.
        let rejected = ["22", "23", "54"].contains(state.prefix(2))
        let code: SluiceError.Code = transient ? .transient : rejected ? .badInput : .destination
        return SluiceError(code, "\(context): \(message.isEmpty ? lastError : message)"
            + (state.isEmpty ? "" : " (SQLSTATE \(state))"))
    }

    /// Runs statements that return no rows (several may be separated by `;`).
    public func execute(_ sql: String) throws {
        guard let r = PQexec(conn, sql) else { throw failure(nil) }
        defer { PQclear(r) }
        let status = PQresultStatus(r)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw failure(r) }
    }

    /// Runs a query with text parameters ($1, $2, ...), values bound, never interpolated.
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        let copies: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.flatMap { strdup($0) } }
        defer { copies.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        guard let r = PQexecParams(conn, sql, Int32(parameters.count), nil, &pointers, nil, nil, 0) else { throw failure(nil) }
        defer { PQclear(r) }
        let status = PQresultStatus(r)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw failure(r) }
        var rows: [[String?]] = []
        for row in 0..<PQntuples(r) {
            rows.append((0..<PQnfields(r)).map { c in
                PQgetisnull(r, row, c) == 1 ? nil : String(cString: PQgetvalue(r, row, c))
            })
        }
        return rows
    }

    /// Streams `COPY ... FROM STDIN` data produced by `body` (which calls `send` with chunks).
    public func copy(_ sql: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        guard let r = PQexec(conn, sql) else { throw failure(nil) }
        defer { PQclear(r) }
        guard PQresultStatus(r) == PGRES_COPY_IN else { throw failure(r) }
        var bodyError: Error?
        do {
            try body { chunk in
                guard PQputCopyData(conn, chunk.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(chunk.count)) == 1 else {
                    throw self.failure(nil, context: "Postgres COPY")
                }
            }
        } catch {
            bodyError = error
        }
        PQputCopyEnd(conn, bodyError == nil ? nil : "aborted by sluice")
        var copyError: SluiceError?
        while let result = PQgetResult(conn) {
            if PQresultStatus(result) != PGRES_COMMAND_OK { copyError = self.failure(result, context: "Postgres COPY") }
            PQclear(result)
        }
        if let bodyError { throw bodyError }
        if let copyError { throw copyError }
    }
}

/// Cancels the statement in progress on one connection, from any thread; see ``PostgresConnection/canceller()``.
public final class PostgresCanceller: Sendable {
    private let request: CancelRequest
    init(_ request: CancelRequest) { self.request = request }
    deinit { request.free() }
    /// Asks the server to cancel the statement in progress (nothing when none is).
    public func cancel() { request.send() }
}
