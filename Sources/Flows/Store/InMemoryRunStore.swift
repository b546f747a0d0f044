import Foundation
import Synchronization

/// A run store in memory, for tests of flows and of code that reads runs. Writes apply at once.
public final class InMemoryRunStore: RunStore {
    private struct Contents {
        var runs: [String: RunRecord] = [:]
        var order: [String] = []
        var states: [String: [StateRecord]] = [:]
        var logs: [String: [LogRecord]] = [:]
        var cache: [String: (value: Data, expires: Date?)] = [:]
    }

    private let contents = Mutex(Contents())
    /// Answers whether a run's process is alive; runs it says are not become Crashed.
    private let isAlive: @Sendable (RunRecord) -> Bool

    public init(isAlive: @escaping @Sendable (RunRecord) -> Bool = { _ in true }) {
        self.isAlive = isAlive
    }

    public func enqueue(_ write: RunWrite) {
        contents.withLock { c in
            switch write {
            case .create(let run):
                if c.runs[run.id] == nil { c.order.append(run.id) }  // a scheduled run that starts is created again, in place
                c.runs[run.id] = run
            case .transition(let s, let attempts):
                c.runs[s.runID]?.enter(s, attempts: attempts)
                c.states[s.runID, default: []].append(s)
            case .outcome(let id, let result, let error):
                c.runs[id]?.result = result
                c.runs[id]?.error = error
            case .log(let line):
                c.logs[line.flowRunID, default: []].append(line)
            case .cache(let key, _, let value, let expires):
                c.cache[key] = (value, expires)
            case .processGroup:
                break  // an in-memory store does not outlive its process: there is nothing to sweep later
            }
        }
    }

    public func flush() async throws {}

    public func runs(_ query: RunQuery) async throws -> [RunRecord] {
        contents.withLock { c in
            let runs = c.runs
            // Newest first by when a run started, as SQLiteRunStore orders them (ties: the later created first).
            let ordered = c.order.enumerated().reversed().compactMap { i, id in runs[id].map { (i, $0) } }
                .filter { query.matches($0.1) }
                .sorted { a, b in
                    let (x, y) = (a.1.startedAt ?? a.1.scheduledFor ?? a.1.createdAt, b.1.startedAt ?? b.1.scheduledFor ?? b.1.createdAt)
                    return x != y ? x > y : a.0 > b.0
                }
            return Array(ordered.prefix(query.limit).map(\.1))
        }
    }

    public func run(id: String) async throws -> RunRecord? {
        try contents.withLock { c in
            if let run = c.runs[id] { return run }
            let matches = c.order.filter { $0.hasPrefix(id) }
            if matches.count > 1 { throw RunStoreError("run id prefix \(id) is ambiguous (\(matches.count) runs)") }
            return matches.first.flatMap { c.runs[$0] }
        }
    }

    public func states(of runID: String) async throws -> [StateRecord] {
        contents.withLock { $0.states[runID] ?? [] }
    }

    public func logs(ofFlowRun flowRunID: String) async throws -> [LogRecord] {
        contents.withLock { $0.logs[flowRunID] ?? [] }
    }

    public func cachedValue(key: String, now: Date) async throws -> Data? {
        contents.withLock { c in
            guard let entry = c.cache[key] else { return nil }
            if let expires = entry.expires, expires <= now { return nil }
            return entry.value
        }
    }

    public func crashAbandonedRuns(at now: Date) async throws -> [RunRecord] {
        let abandoned = contents.withLock { c in
            c.order.compactMap { c.runs[$0] }.filter { $0.kind == .flow && !$0.state.isFinal }
        }.filter { !isAlive($0) }
        var crashed: [RunRecord] = []
        for flow in abandoned {
            let members = contents.withLock { c in c.order.compactMap { c.runs[$0] }.filter { $0.flowRunID == flow.id && !$0.state.isFinal } }
            for run in members {
                enqueue(.transition(StateRecord(runID: run.id, state: .crashed, at: now, message: "the process running it is gone"),
                                    attempts: run.attempts))
                if run.kind == .flow { crashed.append(contents.withLock { $0.runs[run.id]! }) }
            }
        }
        return crashed
    }

    public func schedule(_ runs: [RunRecord]) async throws -> [RunRecord] {
        contents.withLock { c in
            var out: [RunRecord] = []
            for run in runs {
                if let key = run.idempotencyKey, let held = c.runs.values.first(where: { $0.idempotencyKey == key }) {
                    out.append(held)
                    continue
                }
                c.runs[run.id] = run
                c.order.append(run.id)
                c.states[run.id, default: []].append(StateRecord(runID: run.id, state: run.state, at: run.createdAt))
                out.append(run)
            }
            return out
        }
    }

    public func takeScheduledRun(id: String, _ change: ScheduledRunChange) async throws -> Bool {
        contents.withLock { c in
            guard let run = c.runs[id], run.state == .scheduled, run.pid == nil else { return false }
            switch change {
            case .start(let host, let pid):
                c.runs[id]?.host = host
                c.runs[id]?.pid = pid
            case .miss, .skip, .withdraw:
                guard let (state, at, message) = change.transition else { return false }
                let s = StateRecord(runID: id, state: state, at: at, message: message)
                c.runs[id]?.enter(s, attempts: run.attempts)
                c.states[id, default: []].append(s)
                if case .withdraw = change { c.runs[id]?.idempotencyKey = nil }
            }
            return true
        }
    }

    public func prune(before cutoff: Date, now: Date) async throws -> Int {
        contents.withLock { c in
            let old = Set(c.runs.values.filter { $0.kind == .flow && $0.state.isFinal && ($0.endedAt ?? .distantFuture) < cutoff }.map(\.id))
            let gone = Set(c.runs.values.filter { old.contains($0.flowRunID) }.map(\.id))
            for id in gone {
                c.runs[id] = nil
                c.states[id] = nil
                c.logs[id] = nil
            }
            c.order.removeAll { gone.contains($0) }
            c.cache = c.cache.filter { ($0.value.expires ?? .distantFuture) > now }
            return old.count
        }
    }
}

extension RunRecord {
    /// Follows a transition: the state, the attempt count, the start and end times.
    mutating func enter(_ s: StateRecord, attempts: Int) {
        state = s.state
        self.attempts = attempts
        if s.state == .running, startedAt == nil { startedAt = s.at }
        if s.state.isFinal { endedAt = s.at }
    }
}

extension RunQuery {
    func matches(_ run: RunRecord) -> Bool {
        (kind == nil || run.kind == kind) && (name == nil || run.name == name) && (state == nil || run.state == state)
            && (flowRunID == nil || (run.flowRunID == flowRunID && run.id != flowRunID))
            && (tag == nil || run.tags.contains(tag!)) && !(excludingScheduled && run.state == .scheduled)
    }
}
