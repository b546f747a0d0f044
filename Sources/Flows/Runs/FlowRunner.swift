import Foundation
import Logging

/// Runs flows and records everything they do in a ``RunStore``.
///
/// ```swift
/// let store = try SQLiteRunStore(path: ".sluice/runs.sqlite")
/// let run = await FlowRunner(store: store).run(daily, parameters: Params(day: "2026-11-22"))
/// print(run.state)   // Completed
/// ```
public struct FlowRunner: Sendable {
    public struct Configuration: Sendable {
        /// Sleeps for retry delays, timeouts and scheduled starts. Tests pass a manual clock.
        public var clock: any Clock<Duration> = ContinuousClock()
        /// Wall-clock time for run history and cache expiry. Tests pass the manual clock's time.
        public var now: @Sendable () -> Date = { Date() }
        /// Draws jitter for retry delays (values in `0..<1`).
        public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }
        /// Masks secrets in log lines, errors, parameters, results and notifications.
        public var redactor = Redactor()
        /// Told about finished flow runs (webhooks).
        public var notifiers: [any FlowNotifier] = []
        /// Lines below this level are neither stored nor echoed.
        public var logLevel: Logger.Level = .info
        /// Also writes run log lines here (the console), if set.
        public var echo: (@Sendable (String) -> any LogHandler)?
        /// A scheduled run that starts later than this after its time is marked ``RunState/late`` first.
        public var lateAfter: Duration = .seconds(60)
        /// The process recorded with flow runs, so a later process can tell a crash from a live run.
        public var host = ProcessInfo.processInfo.hostName
        public var pid = ProcessInfo.processInfo.processIdentifier

        public init() {}
    }

    public let store: any RunStore
    public var configuration: Configuration

    public init(store: any RunStore, configuration: Configuration = Configuration()) {
        self.store = store
        self.configuration = configuration
    }

    /// Runs `flow` to a final state and returns it; never throws (the error is in the run).
    ///
    /// With `scheduledFor`, the run is created Scheduled, waits on the clock until that time,
    /// and is marked Late first when it starts more than ``Configuration/lateAfter`` after it.
    /// `tags` are recorded with the run besides the flow's own (a deployment's `deployment:<name>`).
    /// `scheduledRun` is a run created ahead (``RunStore/schedule(_:)``) and taken by this process
    /// (``RunStore/takeScheduledRun(id:_:)``): the flow runs as that run, keeping its id, key, slot and history.
    public func run<P, R>(_ flow: Flow<P, R>, parameters: P, scheduledFor: Date? = nil, tags: [String] = [],
                          scheduledRun: RunRecord? = nil) async -> FlowRun<R> {
        var flow = flow
        flow.tags += tags.filter { !flow.tags.contains($0) }
        let run = await execute(flow, parameters: parameters, parent: nil, scheduledFor: scheduledRun?.scheduledFor ?? scheduledFor,
                                adopting: scheduledRun)
        do { try await store.flush() } catch { logToConsole(flow.name, "the run store could not record the run: \(error)") }
        return run
    }

    /// Marks runs of dead processes Crashed and deletes flow runs that ended more than `retention` ago
    /// (`nil` keeps them). Call once when a process starts working with the store.
    @discardableResult
    public func maintain(retention: Duration?) async throws -> (crashed: [RunRecord], pruned: Int) {
        let now = configuration.now()
        let crashed = try await store.crashAbandonedRuns(at: now)
        // This process recorded these crashes (no other did): it tells the notifiers, once.
        for run in crashed where run.kind == .flow {
            let report = FlowRunReport(flow: run.name, runID: run.id, state: .crashed, error: "the process running it is gone",
                                       parameters: nil, startedAt: run.startedAt, endedAt: run.endedAt ?? now)
            for notifier in configuration.notifiers where notifier.states.contains(.crashed) {
                do { try await notifier.notify(report) } catch {
                    logToConsole(run.name, "notifier \(notifier.name) failed: \(error)")
                }
            }
        }
        var pruned = 0
        if let retention {
            pruned = try await store.prune(before: now.addingTimeInterval(-retention.seconds), now: now)
        }
        return (crashed, pruned)
    }

    // MARK: flow runs

    func execute<P, R>(_ flow: Flow<P, R>, parameters: P, parent: FlowContext?, scheduledFor: Date?,
                       adopting adopted: RunRecord? = nil) async -> FlowRun<R> {
        let id = adopted?.id ?? UUID().uuidString.lowercased()
        var machine = RunStateMachine(scheduled: scheduledFor != nil, retryDelays: flow.retry.jitteredDelays(random: configuration.random))
        let record = Recorder(runner: self, runID: id)
        // An adopted run is written again in place (its parameters as the flow reads them, this process); its
        // Scheduled state is already in its history.
        store.enqueue(.create(RunRecord(
            id: id, kind: .flow, name: flow.name, flowRunID: id, parentRunID: parent?.runID, state: machine.state,
            parameters: encodeSummary(parameters), tags: flow.tags, createdAt: adopted?.createdAt ?? configuration.now(),
            scheduledFor: scheduledFor, host: configuration.host, pid: configuration.pid, idempotencyKey: adopted?.idempotencyKey)))
        if adopted == nil { record(machine.state, nil, attempts: 0) }
        let context = FlowContext(runner: self, runID: id, name: flow.name, logger: logger(flowRunID: id, runID: id, label: flow.name))

        if let scheduledFor {
            let wait = scheduledFor.timeIntervalSince(configuration.now())
            if wait > 0 { try? await configuration.clock.sleep(for: .seconds(wait)) }
            if -scheduledFor.timeIntervalSince(configuration.now()) > configuration.lateAfter.seconds {
                record.apply(&machine, .missedStart)
            }
            record.apply(&machine, .submit)
        }

        let outcome: Outcome<R>
        if let validate = flow.validate, let invalid = Swift.Result(catching: { try validate(parameters) }).failure {
            record.apply(&machine, .start)
            record.apply(&machine, .fail(retryable: false), message: "invalid parameters: \(invalid)")
            outcome = .failure(invalid)
        } else {
            context.logger.info("flow run \(id) of \(flow.name) started")
            outcome = await attempts(&machine, record: record, retry: flow.retry, timeout: flow.timeout, name: flow.name,
                                     logger: context.logger) { attempt in
                try await flow.body(context, parameters)
            }
        }
        return await finish(flow, id: id, machine: machine, outcome: outcome, record: record, context: context)
    }

    private func finish<P, R>(_ flow: Flow<P, R>, id: String, machine: RunStateMachine, outcome: Outcome<R>, record: Recorder,
                              context: FlowContext) async -> FlowRun<R> {
        let state = machine.state
        switch outcome {
        case .success(let value):
            context.logger.info("finished in state \(state)")
            store.enqueue(.outcome(runID: id, result: encodeSummary(value), error: nil))
        case .failure(let error) where state == .cancelled:
            context.logger.warning("finished in state \(state): \(describe(error))")
            store.enqueue(.outcome(runID: id, result: nil, error: describe(error)))
        case .failure(let error):
            context.logger.error("finished in state \(state): \(describe(error))")
            store.enqueue(.outcome(runID: id, result: nil, error: describe(error)))
        }
        let failed = state == .failed || state == .timedOut || state == .crashed
        if failed || state == .completed {
            let report = FlowRunReport(
                flow: flow.name, runID: id, state: state, error: outcome.error.map(describe),
                parameters: nil, startedAt: record.startedAt, endedAt: configuration.now())
            for hook in failed ? flow.onFailure : flow.onCompletion {
                do { try await hook(report) } catch { context.logger.warning("a hook failed: \(error)") }
            }
            for notifier in configuration.notifiers where notifier.states.contains(state) {
                do { try await notifier.notify(report) } catch {
                    context.logger.warning("notifier \(notifier.name) failed: \(configuration.redactor.redact("\(error)"))")
                }
            }
        }
        return FlowRun(id: id, state: state, value: outcome.value, error: outcome.error)
    }

    // MARK: task runs

    func execute<I, O>(_ task: FlowTask<I, O>, input: I, in flow: FlowContext) async throws -> O {
        let id = UUID().uuidString.lowercased()
        var machine = RunStateMachine(retryDelays: task.retry.jitteredDelays(random: configuration.random))
        let record = Recorder(runner: self, runID: id)
        store.enqueue(.create(RunRecord(id: id, kind: .task, name: task.name, flowRunID: flow.runID, state: .pending,
                                        tags: task.tags, createdAt: configuration.now())))
        record(.pending, nil, attempts: 0)

        var cacheKey: String?
        if let cache = task.cache {
            do {
                let key = try cache.key(input)
                cacheKey = key
                if !cache.refresh, let data = try await store.cachedValue(key: key, now: configuration.now()) {
                    if let value = try? cache.decode(data) {
                        record.apply(&machine, .cacheHit, message: "cache key \(key)")
                        return value
                    }
                    flow.logger.warning("task \(task.name): the cached result no longer decodes; running it")
                }
            } catch {
                record.apply(&machine, .start)
                record.apply(&machine, .fail(retryable: false), message: configuration.redactor.redact("cache: \(error)"))
                throw error
            }
        }

        let logger = self.logger(flowRunID: flow.runID, runID: id, label: task.name)
        let body = task.body
        let store = self.store, host = configuration.host
        let outcome = await attempts(&machine, record: record, retry: task.retry, timeout: task.timeout, name: "task \(task.name)",
                                     logger: logger) { attempt in
            var context = TaskContext(runID: id, flowRunID: flow.runID, name: task.name, attempt: attempt, logger: logger)
            context.recordProcessGroup = { pgid in store.enqueue(.processGroup(runID: id, host: host, pgid: pgid)) }
            return try await body(context, input)
        }
        switch outcome {
        case .success(let value):
            if let cache = task.cache, let cacheKey {
                do {
                    let expires = cache.expiration.map { configuration.now().addingTimeInterval($0.seconds) }
                    store.enqueue(.cache(key: cacheKey, task: task.name, value: try cache.encode(value), expires: expires))
                } catch {
                    logger.warning("result not cached: \(error)")
                }
            }
            if O.self != Void.self, let summary = encodeSummary(value) {
                store.enqueue(.outcome(runID: id, result: summary, error: nil))
            }
            return value
        case .failure(let error):
            store.enqueue(.outcome(runID: id, result: nil, error: describe(error)))
            logger.log(level: machine.state == .cancelled ? .warning : .error, "task \(task.name) finished in state \(machine.state): \(describe(error))")
            throw error
        }
    }

    // MARK: attempts

    enum Outcome<T> {
        case success(T)
        case failure(any Error)

        var value: T? { if case .success(let v) = self { v } else { nil } }
        var error: (any Error)? { if case .failure(let e) = self { e } else { nil } }
    }

    /// Runs attempts until success, a final failure, a timeout without retries left, or cancellation.
    private func attempts<T: Sendable>(
        _ machine: inout RunStateMachine, record: Recorder, retry: RetryPolicy, timeout: Duration?, name: String,
        logger: Logger, _ body: @escaping @Sendable (Int) async throws -> T
    ) async -> Outcome<T> {
        while true {
            record.apply(&machine, .start)
            let attempt = machine.attempts
            do {
                let value = try await withTimeout(timeout, name: name, clock: configuration.clock) { try await body(attempt) }
                record.apply(&machine, .succeed)
                return .success(value)
            } catch {
                let event: RunStateMachine.Event
                if let timeout = error as? TimeoutError, timeout.name == name {  // its own, not a task's it awaited
                    event = .timeOut(retryable: retry.allowsRetry(after: error))
                } else if error is CancellationError || Task.isCancelled {
                    record.apply(&machine, .cancel)
                    return .failure(error)
                } else {
                    event = .fail(retryable: retry.allowsRetry(after: error))
                }
                let message = configuration.redactor.redact("\(error)")
                guard case .retry(let delay) = record.apply(&machine, event, message: message) else { return .failure(error) }
                // Every failed attempt is told, with the wait before the next (the run log and the console).
                let total = retry.delays.count + 1
                logger.warning("\(name) attempt \(attempt) of \(total) \(event.isTimeout ? "timed out" : "failed"): \(message); retrying in \(Self.format(delay))")
                do {
                    try await configuration.clock.sleep(for: delay)
                } catch {
                    record.apply(&machine, .cancel)
                    return .failure(error)
                }
            }
        }
    }

    // MARK: recording

    /// Records a run's transitions in the store as the state machine makes them.
    final class Recorder: @unchecked Sendable {
        // Invariant: used by the one task driving the run; `startedAt` is written before any reader runs.
        let runner: FlowRunner
        let runID: String
        var startedAt: Date?

        init(runner: FlowRunner, runID: String) {
            self.runner = runner
            self.runID = runID
        }

        func callAsFunction(_ state: RunState, _ message: String?, attempts: Int) {
            let at = runner.configuration.now()
            if state == .running, startedAt == nil { startedAt = at }
            runner.store.enqueue(.transition(StateRecord(runID: runID, state: state, at: at, message: message), attempts: attempts))
        }

        /// Applies `event`; records the new state (Retrying with its delay). An event the state does not
        /// allow is a bug in the runner: it is recorded as a crash rather than trapping.
        @discardableResult
        func apply(_ machine: inout RunStateMachine, _ event: RunStateMachine.Event, message: String? = nil) -> RunStateMachine.Action {
            do {
                let action = try machine.handle(event)
                switch action {
                case .record(let state): self(state, message, attempts: machine.attempts)
                case .retry(let delay): self(.retrying, [message, "retrying in \(delay)"].compactMap { $0 }.joined(separator: "; "), attempts: machine.attempts)
                }
                return action
            } catch {
                _ = try? machine.handle(.crash)
                self(.crashed, "\(error)", attempts: machine.attempts)
                return .record(.crashed)
            }
        }
    }

    func logger(flowRunID: String, runID: String, label: String) -> Logger {
        var handler = RunLogHandler(flowRunID: flowRunID, runID: runID, store: store, redactor: configuration.redactor,
                                    level: configuration.logLevel, now: configuration.now, echo: configuration.echo?(label))
        handler.echo?.logLevel = configuration.logLevel
        return Logger(label: label, factory: { _ in handler })
    }

    /// JSON (snake_case keys) of a parameter set or result, secrets redacted, at most 64 KB; `nil` when not encodable.
    func encodeSummary(_ value: Any) -> String? {
        guard let encodable = value as? any Encodable else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase  // as parameters are written on the command line
        guard let data = try? encoder.encode(encodable), data.count <= 65_536 else { return nil }
        // Redacted value by value, so the summary stays JSON: a number that equals a secret becomes the
        // string "***" instead of leaving `"rows":***` behind.
        guard let tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let redacted = try? JSONSerialization.data(withJSONObject: redactJSON(tree), options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return configuration.redactor.redact(String(decoding: data, as: UTF8.self)) }
        return String(decoding: redacted, as: UTF8.self)
    }

    /// `value` (from JSONSerialization) with every string redacted and every number that a secret spells
    /// replaced by `"***"`.
    private func redactJSON(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]: return object.mapValues(redactJSON)
        case let array as [Any]: return array.map(redactJSON)
        case let text as String: return configuration.redactor.redact(text)
        case let number as NSNumber:  // booleans too: "1" and "0" are shorter than any secret masked
            let text = number.stringValue
            return configuration.redactor.redact(text) == text ? number : "***"
        default: return value
        }
    }

    /// An error as run history shows it: redacted; a cancellation says so in words.
    func describe(_ error: any Error) -> String {
        error is CancellationError ? "cancelled (a signal, or the run that awaited it stopped)" : configuration.redactor.redact("\(error)")
    }

    /// `1.5 s`, `90 s`: a retry delay as people read it.
    static func format(_ d: Duration) -> String {
        let s = d.seconds
        return s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }

    func logToConsole(_ label: String, _ message: String) {
        FileHandle.standardError.write(Data("\(label): \(configuration.redactor.redact(message))\n".utf8))
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

extension Swift.Result where Failure == any Error {
    var failure: (any Error)? { if case .failure(let e) = self { e } else { nil } }
}

extension RunStateMachine.Event {
    var isTimeout: Bool { if case .timeOut = self { true } else { false } }
}
