import CSQLite
import Foundation

/// Runs created ahead by a scheduler: one per idempotency key (a unique index), taken with a conditional update.
extension SQLiteRunStore {
    public func schedule(_ runs: [RunRecord]) async throws -> [RunRecord] {
        guard !runs.isEmpty else { return [] }
        return try await maintain { db in
            let insert = try db.prepare("INSERT OR IGNORE INTO runs (\(Self.runColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
            let held = try db.prepare("SELECT \(Self.runColumns) FROM runs WHERE idempotency_key = ?")
            let state = try db.prepare("INSERT INTO run_states (run_id, state, at, message) VALUES (?, ?, ?, NULL)")
            var out: [RunRecord] = []
            for run in runs {
                try insert.run(Self.values(run))
                var found: RunRecord?
                if let key = run.idempotencyKey { try held.query([.text(key)]) { found = Self.record($0) } }
                let stored = found ?? run
                if stored.id == run.id { try state.run([.text(run.id), .text(run.state.rawValue), .real(run.createdAt.timeIntervalSince1970)]) }
                out.append(stored)
            }
            return out
        }
    }

    public func takeScheduledRun(id: String, _ change: ScheduledRunChange) async throws -> Bool {
        try await maintain { db in
            let open = "WHERE id = ? AND state = 'Scheduled' AND pid IS NULL"
            switch change {
            case .start(let host, let pid):
                try db.prepare("UPDATE runs SET host = ?, pid = ? \(open)").run([.text(host), .int(Int64(pid)), .text(id)])
            case .miss, .skip, .withdraw:
                guard let (state, at, message) = change.transition else { return false }
                let release = if case .withdraw = change { ", idempotency_key = NULL" } else { "" }
                let ended: [SQLiteDatabase.Value] = state.isFinal ? [.real(at.timeIntervalSince1970)] : []
                try db.prepare("UPDATE runs SET state = ?\(ended.isEmpty ? "" : ", ended_at = ?")\(release) \(open)")
                    .run([.text(state.rawValue)] + ended + [.text(id)])
                guard sqlite3_changes(db.handle) == 1 else { return false }
                try db.prepare("INSERT INTO run_states (run_id, state, at, message) VALUES (?, ?, ?, ?)")
                    .run([.text(id), .text(state.rawValue), .real(at.timeIntervalSince1970), .text(message)])
                return true
            }
            return sqlite3_changes(db.handle) == 1
        }
    }
}
