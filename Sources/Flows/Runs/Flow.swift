import Foundation

/// A named async function whose runs are recorded: its parameters, the task runs and subflow runs
/// it starts, its logs, its final state (from what it returns or throws) and its result.
///
/// ```swift
/// struct Params: Codable, Sendable { var day: String; var limit = 100 }
/// let daily = Flow("daily_report") { flow, params: Params in
///     let rows = try await flow.run(fetch, params.day)
///     return try await flow.map(enrich, rows, maxConcurrency: 4)
/// }
/// let run = await FlowRunner(store: store).run(daily, parameters: Params(day: "2026-11-22"))
/// ```
public struct Flow<Parameters: Codable & Sendable, Result: Sendable>: Sendable {
    public var name: String
    /// Retries of the whole flow (tasks have their own); none by default.
    public var retry: RetryPolicy
    /// Cancels the flow run (its tasks with it) when it runs longer, ending it ``RunState/timedOut``.
    public var timeout: Duration?
    public var tags: [String]
    /// Checks parameters before the run starts; a thrown error fails the run with the error.
    public var validate: (@Sendable (Parameters) throws -> Void)?
    /// Called after a run ends Failed, TimedOut or Crashed. Errors they throw are logged.
    public var onFailure: [@Sendable (FlowRunReport) async throws -> Void] = []
    /// Called after a run ends Completed.
    public var onCompletion: [@Sendable (FlowRunReport) async throws -> Void] = []
    /// A one-line description for `sluice flow ls`.
    public var summary: String
    let body: @Sendable (FlowContext, Parameters) async throws -> Result

    public init(_ name: String, summary: String = "", retry: RetryPolicy = .none, timeout: Duration? = nil, tags: [String] = [],
                validate: (@Sendable (Parameters) throws -> Void)? = nil,
                _ body: @escaping @Sendable (FlowContext, Parameters) async throws -> Result) {
        self.name = name
        self.summary = summary
        self.retry = retry
        self.timeout = timeout
        self.tags = tags
        self.validate = validate
        self.body = body
    }
}

/// Parameters of a flow that takes none.
public struct NoParameters: Codable, Sendable, Equatable {
    public init() {}
}

extension Flow where Parameters == NoParameters {
    /// A flow without parameters.
    public init(_ name: String, summary: String = "", retry: RetryPolicy = .none, timeout: Duration? = nil, tags: [String] = [],
                _ body: @escaping @Sendable (FlowContext) async throws -> Result) {
        self.init(name, summary: summary, retry: retry, timeout: timeout, tags: tags) { context, _ in try await body(context) }
    }
}

/// What hooks and notifiers learn about a finished flow run. Secrets are already redacted.
public struct FlowRunReport: Sendable, Codable, Equatable {
    public var flow: String
    public var runID: String
    public var state: RunState
    /// The error that ended it, if any.
    public var error: String?
    public var parameters: String?
    public var startedAt: Date?
    public var endedAt: Date?

    enum CodingKeys: String, CodingKey {
        case flow, state, error, parameters
        case runID = "run_id"
        case startedAt = "started_at"
        case endedAt = "ended_at"
    }
}
