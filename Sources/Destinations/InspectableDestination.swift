import DatabaseClients
import Foundation
import PipelineCore

/// A destination that can report what it holds, for `sluice show`.
public protocol InspectableDestination: Destination {
    /// Rows in `table`, or `nil` when it does not exist.
    func rowCount(_ table: String) async throws -> Int?
    /// The newest completed loads, newest first: load id and when it was committed.
    func lastLoads(limit: Int) async throws -> [(loadId: String, insertedAt: String)]
}

extension SQLiteDestination: InspectableDestination {
    public func rowCount(_ table: String) async throws -> Int? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try withConnection { db in
            try db.tableExists(table) ? Int(try db.query("SELECT count(*) FROM \(quoteIdentifier(table))")[0][0] ?? "0") : nil
        }
    }

    public func lastLoads(limit: Int) async throws -> [(loadId: String, insertedAt: String)] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try withConnection { db in
            guard try db.tableExists("_dlt_loads") else { return [] }
            return try db.query("SELECT load_id, inserted_at FROM _dlt_loads ORDER BY load_id DESC LIMIT ?", [String(limit)])
                .map { ($0[0] ?? "", $0[1] ?? "") }
        }
    }
}

extension PostgresDestination: InspectableDestination {
    public func rowCount(_ table: String) async throws -> Int? {
        try withConnection { db in
            try tableExists(db, table) ? Int(try db.query("SELECT count(*) FROM \(qualified(table))")[0][0] ?? "0") : nil
        }
    }

    public func lastLoads(limit: Int) async throws -> [(loadId: String, insertedAt: String)] {
        try withConnection { db in
            guard try tableExists(db, "_dlt_loads") else { return [] }
            return try db.query("""
                SELECT load_id, to_char(inserted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
                FROM \(qualified("_dlt_loads")) ORDER BY load_id DESC LIMIT $1
                """, [String(limit)]).map { ($0[0] ?? "", $0[1] ?? "") }
        }
    }
}
