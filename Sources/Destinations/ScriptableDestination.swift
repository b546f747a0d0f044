import DatabaseClients
import Foundation
import PipelineCore

/// A destination that runs SQL scripts (the transformations a flow's SQL task runs after a load).
public protocol ScriptableDestination: Destination {
    /// Runs every statement of `script` in one transaction, with the dataset's tables reachable by
    /// their bare names; on any error nothing of it stays. `name` (a file) is put in the error.
    func runScript(_ script: String, name: String) async throws
}

extension SQLiteDestination: ScriptableDestination {
    public func runScript(_ script: String, name: String) async throws {
        try withConnection { db in
            try db.execute("BEGIN IMMEDIATE")
            do {
                try db.execute(script)
                try db.execute("COMMIT")
            } catch let error as SluiceError {
                try? db.execute("ROLLBACK")
                throw SluiceError(.destination, error.message, file: name)
            }
        }
    }
}

extension PostgresDestination: ScriptableDestination {
    public func runScript(_ script: String, name: String) async throws {
        try withConnection { db in
            try db.execute("BEGIN")
            do {
                try db.execute("CREATE SCHEMA IF NOT EXISTS \(schemaSQL); SET LOCAL search_path TO \(schemaSQL), public")
                try db.execute(script)
                try db.execute("COMMIT")
            } catch let error as SluiceError {
                try? db.execute("ROLLBACK")
                throw SluiceError(.destination, error.message, file: name)
            }
        }
    }
}
