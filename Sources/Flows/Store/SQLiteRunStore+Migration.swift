import Foundation

extension SQLiteRunStore {
    /// Creates the tables, or brings an older store up to date: version 2 added `idempotency_key` (unique
    /// when set) for runs a scheduler creates ahead; a version-1 store gains the column, its runs keep null.
    static func migrate(_ db: SQLiteDatabase) throws(RunStoreError) {
        try db.execute("""
            BEGIN IMMEDIATE;
            CREATE TABLE IF NOT EXISTS runs (
              id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, flow_run_id TEXT NOT NULL, parent_run_id TEXT,
              state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, parameters TEXT, result TEXT, error TEXT, tags TEXT,
              created_at REAL NOT NULL, scheduled_for REAL, started_at REAL, ended_at REAL, host TEXT, pid INTEGER,
              idempotency_key TEXT);
            CREATE INDEX IF NOT EXISTS runs_by_flow_run ON runs(flow_run_id);
            CREATE INDEX IF NOT EXISTS runs_by_created ON runs(kind, created_at);
            CREATE TABLE IF NOT EXISTS run_states (run_id TEXT NOT NULL, state TEXT NOT NULL, at REAL NOT NULL, message TEXT);
            CREATE INDEX IF NOT EXISTS run_states_by_run ON run_states(run_id);
            CREATE TABLE IF NOT EXISTS run_logs (
              flow_run_id TEXT NOT NULL, run_id TEXT NOT NULL, at REAL NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS run_logs_by_flow_run ON run_logs(flow_run_id);
            CREATE TABLE IF NOT EXISTS task_cache (
              key TEXT PRIMARY KEY, task TEXT NOT NULL, value BLOB NOT NULL, created_at REAL NOT NULL, expires_at REAL);
            CREATE TABLE IF NOT EXISTS task_processes (run_id TEXT PRIMARY KEY, host TEXT NOT NULL, pgid INTEGER NOT NULL);
            """)
        do {
            var columns: [String] = []
            try db.prepare("PRAGMA table_info(runs)").query([]) { columns.append($0.text(1) ?? "") }
            if !columns.contains("idempotency_key") { try db.execute("ALTER TABLE runs ADD COLUMN idempotency_key TEXT") }
            try db.execute("""
                CREATE UNIQUE INDEX IF NOT EXISTS runs_by_idempotency_key ON runs(idempotency_key) WHERE idempotency_key IS NOT NULL;
                PRAGMA user_version = 2;
                COMMIT;
                """)
        } catch {
            try? db.execute("ROLLBACK")
            throw error as? RunStoreError ?? RunStoreError("\(db.path): \(error)")
        }
    }
}
