import Foundation

/// Whether a run is a flow run or a task run inside one.
public enum RunKind: String, Sendable, Codable {
    case flow
    case task
}

/// One flow or task run as the store keeps it: identity, links, current state and outcome.
public struct RunRecord: Sendable, Codable, Equatable {
    /// A UUID, lowercase.
    public var id: String
    public var kind: RunKind
    /// The flow's or the task's name.
    public var name: String
    /// For a task run, the flow run it belongs to; for a flow run, itself.
    public var flowRunID: String
    /// For a subflow run, the flow run that called it.
    public var parentRunID: String?
    public var state: RunState
    /// Attempts started (retries included).
    public var attempts: Int
    /// The flow's parameters as JSON (secrets redacted).
    public var parameters: String?
    /// A JSON summary of the result (for a pipeline run, its load info), secrets redacted.
    public var result: String?
    /// The error of the last failed attempt, secrets redacted.
    public var error: String?
    public var tags: [String]
    public var createdAt: Date
    /// When a scheduled run was due.
    public var scheduledFor: Date?
    public var startedAt: Date?
    public var endedAt: Date?
    /// The process running it (flow runs), to tell a crash from a run still in progress.
    public var host: String?
    public var pid: Int32?
    /// What makes a scheduled run unique (Prefect's idempotency key): a deployment's run of one slot is
    /// `deployment:<name>@<slot>`. At most one run in a store holds a key; a scheduler that creates the
    /// same slot again (after a restart, on a second machine) finds that run instead (``RunStore/schedule(_:)``).
    public var idempotencyKey: String?

    public init(id: String, kind: RunKind, name: String, flowRunID: String, parentRunID: String? = nil,
                state: RunState, attempts: Int = 0, parameters: String? = nil, result: String? = nil, error: String? = nil,
                tags: [String] = [], createdAt: Date, scheduledFor: Date? = nil, startedAt: Date? = nil, endedAt: Date? = nil,
                host: String? = nil, pid: Int32? = nil, idempotencyKey: String? = nil) {
        self.id = id
        self.kind = kind
        self.name = name
        self.flowRunID = flowRunID
        self.parentRunID = parentRunID
        self.state = state
        self.attempts = attempts
        self.parameters = parameters
        self.result = result
        self.error = error
        self.tags = tags
        self.createdAt = createdAt
        self.scheduledFor = scheduledFor
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.host = host
        self.pid = pid
        self.idempotencyKey = idempotencyKey
    }

    /// Seconds from start to end, when both are known.
    public var duration: Double? {
        guard let startedAt, let endedAt else { return nil }
        return endedAt.timeIntervalSince(startedAt)
    }
}

/// One state a run entered, in order.
public struct StateRecord: Sendable, Codable, Equatable {
    public var runID: String
    public var state: RunState
    public var at: Date
    /// Why (the error of a failed attempt, the retry delay).
    public var message: String?

    public init(runID: String, state: RunState, at: Date, message: String? = nil) {
        self.runID = runID
        self.state = state
        self.at = at
        self.message = message
    }
}

/// One log line of a run, secrets already redacted.
public struct LogRecord: Sendable, Codable, Equatable {
    /// The flow run the line belongs to (task lines too), so a flow's log reads in one piece.
    public var flowRunID: String
    /// The task or flow run that logged it.
    public var runID: String
    public var at: Date
    public var level: String
    public var message: String

    public init(flowRunID: String, runID: String, at: Date, level: String, message: String) {
        self.flowRunID = flowRunID
        self.runID = runID
        self.at = at
        self.level = level
        self.message = message
    }
}

/// Which runs to list, newest first.
public struct RunQuery: Sendable, Equatable {
    public var kind: RunKind? = .flow
    public var name: String?
    public var state: RunState?
    /// Task runs (and subflow runs) of one flow run.
    public var flowRunID: String?
    /// Runs carrying this tag (a deployment's runs: `deployment:<name>`).
    public var tag: String?
    /// Leaves out runs still ``RunState/scheduled`` (created ahead by a scheduler, not started), so a
    /// history is not crowded by the slots to come.
    public var excludingScheduled = false
    public var limit: Int = 20

    public init(kind: RunKind? = .flow, name: String? = nil, state: RunState? = nil, flowRunID: String? = nil, tag: String? = nil,
                limit: Int = 20) {
        self.kind = kind
        self.name = name
        self.state = state
        self.flowRunID = flowRunID
        self.tag = tag
        self.limit = limit
    }
}

/// A change to the store. Writes are queued and become durable (and visible) in order.
public enum RunWrite: Sendable {
    /// A new run.
    case create(RunRecord)
    /// A run entered a state; `attempts` and the timestamps follow the state.
    case transition(StateRecord, attempts: Int)
    /// The outcome of a run that reached a final state (recorded before its final transition).
    case outcome(runID: String, result: String?, error: String?)
    case log(LogRecord)
    /// A task result to reuse until `expires` (`nil`: forever).
    case cache(key: String, task: String, value: Data, expires: Date?)
    /// The process group a task run's command runs in (`nil` once it is gone), so that a later process
    /// that finds the run abandoned can kill what it left behind.
    case processGroup(runID: String, host: String, pgid: Int32?)
}
