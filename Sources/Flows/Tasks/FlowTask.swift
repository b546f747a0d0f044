import Logging

/// A named unit of work inside a flow: an async function with a retry policy, an optional timeout,
/// tags and optional caching. Its runs are recorded with their states and logs.
///
/// ```swift
/// let fetch = FlowTask("fetch", retry: RetryPolicy(delays: [1, 5]), timeout: .seconds(30)) { task, url: String in
///     task.logger.info("fetching \(url)")
///     return try await download(url)
/// }
/// ```
public struct FlowTask<Input: Sendable, Output: Sendable>: Sendable {
    public var name: String
    public var retry: RetryPolicy
    /// Cancels an attempt that runs longer, ending it ``RunState/timedOut`` (retried like a failure).
    /// Cancellation is cooperative: work that awaits, checks `Task.isCancelled` or runs a command stops.
    public var timeout: Duration?
    public var tags: [String]
    var cache: TaskCache<Input, Output>?
    let body: @Sendable (TaskContext, Input) async throws -> Output

    public init(_ name: String, retry: RetryPolicy = .none, timeout: Duration? = nil, tags: [String] = [],
                _ body: @escaping @Sendable (TaskContext, Input) async throws -> Output) {
        self.name = name
        self.retry = retry
        self.timeout = timeout
        self.tags = tags
        self.body = body
    }
}

extension FlowTask where Input == Void {
    /// A task that takes no input.
    public init(_ name: String, retry: RetryPolicy = .none, timeout: Duration? = nil, tags: [String] = [],
                _ body: @escaping @Sendable (TaskContext) async throws -> Output) {
        self.init(name, retry: retry, timeout: timeout, tags: tags) { context, _ in try await body(context) }
    }
}

/// What a task attempt knows about itself.
public struct TaskContext: Sendable {
    public let runID: String
    public let flowRunID: String
    public let name: String
    /// 1 on the first attempt, 2 on the first retry, ...
    public let attempt: Int
    /// Lines logged here are stored with the task run (secrets redacted) and shown by `sluice logs`.
    public let logger: Logger
    /// Records (or, with `nil`, clears) the process group of a program the task started, so that if this
    /// process dies a later one can kill the group (see ``RunStore/crashAbandonedRuns(at:)``).
    public var recordProcessGroup: @Sendable (Int32?) -> Void = { _ in }

    public init(runID: String, flowRunID: String, name: String, attempt: Int, logger: Logger) {
        self.runID = runID
        self.flowRunID = flowRunID
        self.name = name
        self.attempt = attempt
        self.logger = logger
    }
}

/// Thrown by a task or flow attempt that ran past its timeout.
public struct TimeoutError: Error, Sendable, CustomStringConvertible {
    public let name: String
    public let timeout: Duration
    public var description: String { "\(name) timed out after \(timeout)" }
}
