import CSQLite
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The default run store: one SQLite file (`.sluice/runs.sqlite`) in WAL mode.
///
/// Every write of this process goes through one connection on one writer thread, in batched
/// `BEGIN IMMEDIATE` transactions: task runs queue their transitions and never wait on the disk,
/// readers never block the writer (WAL), and writers of other processes queue behind a 60-second
/// busy timeout, so "database is locked" does not happen in practice. Reads use their own connection.
///
/// ```swift
/// let store = try SQLiteRunStore(path: ".sluice/runs.sqlite")
/// defer { store.close() }
/// ```
public final class SQLiteRunStore: RunStore {
    public let path: String
    private let writer: Writer
    private let reader: Mutex<ReadConnection>
    private let host = ProcessInfo.processInfo.hostName

    /// Opens (creating if needed) the store at `path`, its folder included.
    public init(path: String) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA synchronous=NORMAL")
        try Self.migrate(db)
        writer = try Writer(db)
        reader = Mutex(ReadConnection(try SQLiteDatabase(path: path)))
        writer.start()
    }

    deinit { writer.stop() }

    /// Writes what is queued and stops the writer thread. Later writes are dropped.
    public func close() {
        writer.stop()
        writer.join()
    }

    // MARK: writes

    public func enqueue(_ write: RunWrite) { writer.enqueue(.write(write)) }

    public func flush() async throws { try await writer.flush() }

    /// Runs `body` on the writer's connection, in order with the queued writes.
    func maintain<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        let box = Mutex<T?>(nil)
        writer.enqueue(.maintenance { db in
            let value = try body(db)
            box.withLock { $0 = value }
        })
        try await writer.flush()
        return box.withLock { $0! }
    }

    // MARK: reads

    private func read<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try reader.withLock { try body($0.db) }
    }

    static let runColumns = """
        id, kind, name, flow_run_id, parent_run_id, state, attempts, parameters, result, error, tags,
        created_at, scheduled_for, started_at, ended_at, host, pid, idempotency_key
        """

    static func record(_ s: SQLiteDatabase.Statement) -> RunRecord {
        func date(_ c: Int32) -> Date? { s.real(c).map { Date(timeIntervalSince1970: $0) } }
        return RunRecord(
            id: s.text(0) ?? "", kind: RunKind(rawValue: s.text(1) ?? "") ?? .flow, name: s.text(2) ?? "",
            flowRunID: s.text(3) ?? "", parentRunID: s.text(4), state: RunState(rawValue: s.text(5) ?? "") ?? .crashed,
            attempts: Int(s.int(6) ?? 0), parameters: s.text(7), result: s.text(8), error: s.text(9),
            tags: (s.text(10) ?? "").split(separator: ",").map(String.init), createdAt: date(11) ?? Date(timeIntervalSince1970: 0),
            scheduledFor: date(12), startedAt: date(13), endedAt: date(14), host: s.text(15), pid: s.int(16).map { Int32($0) },
            idempotencyKey: s.text(17))
    }

    /// A record's values in ``runColumns`` order.
    static func values(_ r: RunRecord) -> [SQLiteDatabase.Value] {
        [
            .text(r.id), .text(r.kind.rawValue), .text(r.name), .text(r.flowRunID), .text(r.parentRunID),
            .text(r.state.rawValue), .int(Int64(r.attempts)), .text(r.parameters), .text(r.result), .text(r.error),
            .text(r.tags.isEmpty ? nil : r.tags.joined(separator: ",")), .real(r.createdAt.timeIntervalSince1970),
            .real(r.scheduledFor?.timeIntervalSince1970), .real(r.startedAt?.timeIntervalSince1970),
            .real(r.endedAt?.timeIntervalSince1970), .text(r.host), .int(r.pid.map { Int64($0) }), .text(r.idempotencyKey),
        ]
    }

    public func runs(_ query: RunQuery) async throws -> [RunRecord] {
        var sql = "SELECT \(Self.runColumns) FROM runs WHERE 1 = 1"
        var values: [SQLiteDatabase.Value] = []
        if let kind = query.kind { sql += " AND kind = ?"; values.append(.text(kind.rawValue)) }
        if let name = query.name { sql += " AND name = ?"; values.append(.text(name)) }
        if let state = query.state { sql += " AND state = ?"; values.append(.text(state.rawValue)) }
        if let flow = query.flowRunID { sql += " AND flow_run_id = ? AND id <> ?"; values += [.text(flow), .text(flow)] }
        if let tag = query.tag { sql += " AND instr(',' || tags || ',', ',' || ? || ',') > 0"; values.append(.text(tag)) }
        if query.excludingScheduled { sql += " AND state <> ?"; values.append(.text(RunState.scheduled.rawValue)) }
        // Newest first by when a run started (a run created ahead by a scheduler starts long after it was made).
        sql += " ORDER BY coalesce(started_at, scheduled_for, created_at) DESC, rowid DESC LIMIT ?"
        values.append(.int(Int64(query.limit)))
        return try read { db in
            var out: [RunRecord] = []
            try db.prepare(sql).query(values) { out.append(Self.record($0)) }
            return out
        }
    }

    public func run(id: String) async throws -> RunRecord? {
        try read { db in
            var out: [RunRecord] = []
            // An exact id, else a prefix compared as text (no LIKE: `%` or `_` in what a user types are
            // characters, not wildcards); an empty id is no run.
            guard !id.isEmpty else { return nil }
            try db.prepare("SELECT \(Self.runColumns) FROM runs WHERE id = ?1 OR substr(id, 1, length(?1)) = ?1 ORDER BY id = ?1 DESC LIMIT 2")
                .query([.text(id)]) { out.append(Self.record($0)) }
            if let first = out.first, first.id == id { return first }
            if out.count > 1 { throw RunStoreError("run id prefix \(id) is ambiguous") }
            return out.first
        }
    }

    public func states(of runID: String) async throws -> [StateRecord] {
        try read { db in
            var out: [StateRecord] = []
            try db.prepare("SELECT state, at, message FROM run_states WHERE run_id = ? ORDER BY rowid").query([.text(runID)]) { s in
                out.append(StateRecord(runID: runID, state: RunState(rawValue: s.text(0) ?? "") ?? .crashed,
                                       at: Date(timeIntervalSince1970: s.real(1) ?? 0), message: s.text(2)))
            }
            return out
        }
    }

    public func logs(ofFlowRun flowRunID: String) async throws -> [LogRecord] {
        try read { db in
            var out: [LogRecord] = []
            try db.prepare("SELECT run_id, at, level, message FROM run_logs WHERE flow_run_id = ? ORDER BY rowid").query([.text(flowRunID)]) { s in
                out.append(LogRecord(flowRunID: flowRunID, runID: s.text(0) ?? "", at: Date(timeIntervalSince1970: s.real(1) ?? 0),
                                     level: s.text(2) ?? "", message: s.text(3) ?? ""))
            }
            return out
        }
    }

    public func cachedValue(key: String, now: Date) async throws -> Data? {
        try await flush()
        return try read { db in
            var value: Data?
            try db.prepare("SELECT value FROM task_cache WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)")
                .query([.text(key), .real(now.timeIntervalSince1970)]) { value = $0.blob(0) }
            return value
        }
    }

    // MARK: maintenance

    public func crashAbandonedRuns(at now: Date) async throws -> [RunRecord] {
        let host = self.host
        let open = try await runs(RunQuery(kind: .flow, limit: .max)).filter { !$0.state.isFinal && $0.host == host }
        let abandoned = open.filter { run in
            guard let pid = run.pid else { return false }
            return pid != getpid() && kill(pid, 0) == -1 && errno == ESRCH
        }
        guard !abandoned.isEmpty else { return [] }
        let ids = abandoned.map(\.id)
        let at = now.timeIntervalSince1970
        // In one write transaction: a run another process marked meanwhile is left to it, so each
        // crash is recorded (and notified) once.
        let marked = try await maintain { db -> [String] in
            let members = try db.prepare("SELECT id, attempts FROM runs WHERE flow_run_id = ? AND state NOT IN ('Completed','Cached','Failed','TimedOut','Cancelled','Crashed')")
            let state = try db.prepare("INSERT INTO run_states (run_id, state, at, message) VALUES (?, 'Crashed', ?, 'the process running it is gone')")
            let update = try db.prepare("UPDATE runs SET state = 'Crashed', ended_at = ? WHERE id = ?")
            let group = try db.prepare("SELECT pgid FROM task_processes WHERE run_id = ? AND host = ?")
            let forget = try db.prepare("DELETE FROM task_processes WHERE run_id = ?")
            var marked: [String] = []
            for id in ids {
                var open: [String] = []
                try members.query([.text(id)]) { open.append($0.text(0) ?? "") }
                guard open.contains(id) else { continue }
                for run in open {
                    try state.run([.text(run), .real(at)])
                    try update.run([.real(at), .text(run)])
                    // A command the dead process started may still run in its own group: end it.
                    try group.query([.text(run), .text(host)]) { row in
                        if let pgid = row.int(0), pgid > 1 { kill(-pid_t(pgid), SIGKILL) }
                    }
                    try forget.run([.text(run)])
                }
                marked.append(id)
            }
            return marked
        }
        var crashed: [RunRecord] = []
        for id in marked { if let run = try await run(id: id) { crashed.append(run) } }
        return crashed
    }

    public func prune(before cutoff: Date, now: Date) async throws -> Int {
        let cutoff = cutoff.timeIntervalSince1970, now = now.timeIntervalSince1970
        return try await maintain { db in
            try db.execute("CREATE TEMP TABLE IF NOT EXISTS pruned (id TEXT PRIMARY KEY); DELETE FROM pruned")
            try db.prepare("""
                INSERT INTO pruned SELECT id FROM runs WHERE kind = 'flow' AND ended_at < ?
                  AND state IN ('Completed','Cached','Failed','TimedOut','Cancelled','Crashed')
                """).run([.real(cutoff)])
            var count = 0
            try db.prepare("SELECT count(*) FROM pruned").query([]) { count = Int($0.int(0) ?? 0) }
            try db.execute("""
                DELETE FROM run_logs WHERE flow_run_id IN (SELECT id FROM pruned);
                DELETE FROM run_states WHERE run_id IN (SELECT id FROM runs WHERE flow_run_id IN (SELECT id FROM pruned));
                DELETE FROM runs WHERE flow_run_id IN (SELECT id FROM pruned);
                DELETE FROM pruned;
                """)
            try db.prepare("DELETE FROM task_cache WHERE expires_at <= ?").run([.real(now)])
            return count
        }
    }
}

/// The reading connection; used only under the store's lock.
private struct ReadConnection: @unchecked Sendable {
    let db: SQLiteDatabase
    init(_ db: SQLiteDatabase) { self.db = db }
}

// MARK: - The writer thread

extension SQLiteRunStore {
    enum Operation: Sendable {
        case write(RunWrite)
        case maintenance(@Sendable (SQLiteDatabase) throws -> Void)
    }

    /// The one thread that writes, draining the queue in batches, one transaction per batch.
    ///
    /// Invariant for `@unchecked Sendable`: `db` and the prepared statements are touched only by
    /// the writer thread (and by `init` before it starts); everything else is guarded by `condition`.
    final class Writer: @unchecked Sendable {
        private let db: SQLiteDatabase
        private let condition = NSCondition()
        private var queue: [Operation] = []
        private var enqueued = 0
        private var committed = 0
        private var waiters: [(target: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        private var failure: RunStoreError?
        private var idle = false
        private var stopping = false
        private var finished = false
        private var thread: Thread?

        private let insertRun, insertState, updateRun, updateOutcome, insertLog, upsertCache: SQLiteDatabase.Statement
        private let recordGroup, forgetGroup: SQLiteDatabase.Statement

        init(_ db: SQLiteDatabase) throws(RunStoreError) {
            self.db = db
            insertRun = try db.prepare("""
                INSERT OR REPLACE INTO runs (\(SQLiteRunStore.runColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                """)
            insertState = try db.prepare("INSERT INTO run_states (run_id, state, at, message) VALUES (?, ?, ?, ?)")
            updateRun = try db.prepare("""
                UPDATE runs SET state = ?, attempts = ?, started_at = coalesce(started_at, ?), ended_at = coalesce(?, ended_at) WHERE id = ?
                """)
            updateOutcome = try db.prepare("UPDATE runs SET result = ?, error = ? WHERE id = ?")
            insertLog = try db.prepare("INSERT INTO run_logs (flow_run_id, run_id, at, level, message) VALUES (?, ?, ?, ?, ?)")
            upsertCache = try db.prepare("INSERT OR REPLACE INTO task_cache (key, task, value, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
            recordGroup = try db.prepare("INSERT OR REPLACE INTO task_processes (run_id, host, pgid) VALUES (?, ?, ?)")
            forgetGroup = try db.prepare("DELETE FROM task_processes WHERE run_id = ?")
        }

        func start() {
            let thread = Thread { [self] in loop() }
            thread.name = "sluice-run-store"
            self.thread = thread
            thread.start()
        }

        func enqueue(_ op: Operation) {
            condition.lock()
            if stopping {
                condition.unlock()
                return
            }
            queue.append(op)
            enqueued += 1
            if idle { condition.signal() }
            condition.unlock()
        }

        func flush() async throws {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                condition.lock()
                if committed >= enqueued || finished {
                    let failure = self.failure
                    condition.unlock()
                    if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
                    return
                }
                waiters.append((enqueued, continuation))
                condition.signal()
                condition.unlock()
            }
        }

        func stop() {
            condition.lock()
            stopping = true
            condition.signal()
            condition.unlock()
        }

        /// Waits for the thread to write what was queued and exit.
        func join() {
            condition.lock()
            while !finished { condition.wait() }
            condition.unlock()
        }

        private func loop() {
            while true {
                condition.lock()
                while queue.isEmpty && !stopping {
                    idle = true
                    condition.wait()
                }
                idle = false
                let batch = queue
                queue.removeAll(keepingCapacity: true)
                let done = batch.isEmpty && stopping
                condition.unlock()

                var error: RunStoreError?
                if !batch.isEmpty {
                    do { try write(batch) } catch let e as RunStoreError { error = e } catch { }
                }

                condition.lock()
                committed += batch.count
                if let error { failure = error }
                let ready = waiters.filter { $0.target <= committed || done }
                waiters.removeAll { $0.target <= committed || done }
                if done { finished = true; condition.broadcast() }
                let failure = self.failure
                condition.unlock()
                for waiter in ready {
                    if let failure { waiter.continuation.resume(throwing: failure) } else { waiter.continuation.resume() }
                }
                if done { return }
            }
        }

        private func write(_ batch: [Operation]) throws {
            try db.execute("BEGIN IMMEDIATE")
            do {
                for op in batch {
                    switch op {
                    case .write(let w): try apply(w)
                    case .maintenance(let body): try body(db)
                    }
                }
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }

        private func apply(_ write: RunWrite) throws(RunStoreError) {
            switch write {
            case .create(let r):
                try insertRun.run(SQLiteRunStore.values(r))
            case .transition(let s, let attempts):
                let at = s.at.timeIntervalSince1970
                try insertState.run([.text(s.runID), .text(s.state.rawValue), .real(at), .text(s.message)])
                try updateRun.run([.text(s.state.rawValue), .int(Int64(attempts)), .real(s.state == .running ? at : nil),
                                   .real(s.state.isFinal ? at : nil), .text(s.runID)])
            case .outcome(let id, let result, let error):
                try updateOutcome.run([.text(result), .text(error), .text(id)])
            case .log(let line):
                try insertLog.run([.text(line.flowRunID), .text(line.runID), .real(line.at.timeIntervalSince1970),
                                   .text(line.level), .text(line.message)])
            case .cache(let key, let task, let value, let expires):
                try upsertCache.run([.text(key), .text(task), .blob(value), .real(Date().timeIntervalSince1970),
                                     .real(expires?.timeIntervalSince1970)])
            case .processGroup(let runID, let host, let pgid):
                if let pgid {
                    try recordGroup.run([.text(runID), .text(host), .int(Int64(pgid))])
                } else {
                    try forgetGroup.run([.text(runID)])
                }
            }
        }
    }
}
