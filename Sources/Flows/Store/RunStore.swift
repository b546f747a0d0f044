import Foundation

/// Where flow and task runs, their state transitions, logs and cached task results are kept.
///
/// Writes are queued with ``enqueue(_:)`` (cheap; a task run must not wait on a disk) and are
/// durable after ``flush()``. Reads see everything flushed. ``SQLiteRunStore`` is the default;
/// ``InMemoryRunStore`` serves tests; a Postgres store will implement the same protocol when
/// several machines share one schedule.
public protocol RunStore: Sendable {
    /// Queues a write. Never blocks on storage.
    func enqueue(_ write: RunWrite)
    /// Returns once every write queued before the call is durable; throws a write's error.
    func flush() async throws
    /// Runs matching `query`, newest first.
    func runs(_ query: RunQuery) async throws -> [RunRecord]
    /// The run with this id, or with this unique id prefix (like a short git hash).
    func run(id: String) async throws -> RunRecord?
    /// The states a run went through, in order.
    func states(of runID: String) async throws -> [StateRecord]
    /// A flow run's log lines (its tasks' included), in order.
    func logs(ofFlowRun flowRunID: String) async throws -> [LogRecord]
    /// A cached task result that has not expired at `now`.
    func cachedValue(key: String, now: Date) async throws -> Data?
    /// Marks runs whose process is gone as ``RunState/crashed`` and returns them.
    func crashAbandonedRuns(at now: Date) async throws -> [RunRecord]
    /// Deletes finished flow runs (with their task runs, states and logs) that ended before
    /// `cutoff`, and cache entries expired at `now`; returns how many flow runs went.
    func prune(before cutoff: Date, now: Date) async throws -> Int

    /// Creates runs ahead of time, each with an ``RunRecord/idempotencyKey``, and returns for each the run
    /// the store holds under that key: the one just created (with its first state, from the record), or the
    /// one that had the key already, which is left as it was. Durable on return. This is how a scheduler
    /// never makes a slot's run twice, across restarts and (with a shared store) machines.
    func schedule(_ runs: [RunRecord]) async throws -> [RunRecord]
    /// Applies `change` to the run `id` only if it is still ``RunState/scheduled`` and no process has taken it,
    /// atomically (a shared store: `UPDATE ... WHERE state = 'Scheduled' AND pid IS NULL`); returns whether it did.
    /// Durable on return.
    func takeScheduledRun(id: String, _ change: ScheduledRunChange) async throws -> Bool
}

extension RunStore {
    /// The run with this id or unique id prefix; a clear error otherwise.
    public func requireRun(id: String) async throws -> RunRecord {
        guard let run = try await run(id: id) else { throw RunStoreError("no run with id \(id)") }
        return run
    }
}

/// A run store failure (storage unavailable, an ambiguous id). Its description holds no secrets.
public struct RunStoreError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
