import DatabaseClients
import PipelineCore

/// Runs of one pipeline in one dataset take turns, whichever machine or working directory they start
/// from: Postgres advisory locks keyed by a hash of the dataset and the pipeline.
///
/// Two locks, so a run never waits for itself: the run lock, held by a dedicated session for the whole
/// run (released by the server if that session dies), and the commit lock, held by each load's
/// transaction while it checks the stored state and commits.
extension PostgresDestination {
    /// Which of the two advisory locks (the first key of `pg_advisory_lock(int, int)`).
    enum LockKind: Int32 {
        case run = 0x534C_5552  // "SLUR"
        case commit = 0x534C_5543  // "SLUC"
    }

    /// The two keys of `pg_advisory_lock(int, int)` for `pipeline` in this dataset, as bound parameters.
    func lockKey(_ kind: LockKind, pipeline: String) -> [String] {
        let hex = SHA256.hex(Self.physical(dataset) + "\u{0}" + pipeline).prefix(8)
        let object = Int32(truncatingIfNeeded: UInt32(hex, radix: 16)! & 0x7FFF_FFFF)
        return [String(kind.rawValue), String(object)]
    }

    /// The destination as messages name it: server, database and dataset, never the password.
    var described: String { "postgres at \(credentials), dataset \(dataset)" }

    public func tableHasRows(_ table: String) async throws -> Bool? {
        try withConnection { db in
            try tableExists(db, table) && !db.query("SELECT 1 FROM \(qualified(table)) LIMIT 1").isEmpty
        }
    }

    /// Holds the run lock of `pipeline` in this dataset on a dedicated session while `body` runs; waits
    /// up to ``runLockTimeout`` for a run that holds it, then fails naming the holder's session.
    public func withRunLock<T>(pipeline: String, _ body: () async throws -> T) async throws -> T {
        let session = try await connect()
        let key = lockKey(.run, pipeline: pipeline)
        // Tried, not waited for inside the server: a waiting run sleeps on the clock (holding no thread,
        // and cancellable) and tries again.
        let clock = ContinuousClock()
        let deadline = clock.now + runLockTimeout
        var pause = Duration.milliseconds(20)
        while try session.query("SELECT pg_try_advisory_lock($1::int, $2::int)", key).first?[0] != "t" {
            guard clock.now < deadline else {
                let holder = try? session.query("""
                    SELECT a.pid, coalesce(host(a.client_addr), 'local'), a.application_name,
                           to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid AND l.objid = $2::int::oid
                    """, key).first
                let who = holder.map { "server pid \($0[0] ?? "?") from \($0[1] ?? "?") (\($0[2] ?? "")) since \($0[3] ?? "?")" }
                throw SluiceError(.configuration, "pipeline \(pipeline) is already running against \(described)"
                    + " (\(who ?? "another session")); waited \(runLockTimeout.components.seconds) s for it to finish")
            }
            try await clock.sleep(for: min(pause, deadline - clock.now))
            pause = min(pause * 2, .milliseconds(500))
        }
        defer {
            _ = try? session.query("SELECT pg_advisory_unlock($1::int, $2::int)", key)
            withExtendedLifetime(session) {}
        }
        return try await body()
    }
}
