/// The outcome of one flow run: its id, final state, and the value or error it ended with.
public struct FlowRun<Result: Sendable>: Sendable {
    public let id: String
    public let state: RunState
    public let value: Result?
    public let error: (any Error)?

    /// The flow's result, or the error that ended the run.
    public func get() throws -> Result {
        if let value, state.isSuccess { return value }
        throw error ?? FlowRunError(state: state)
    }
}

/// A run that ended without a result and without an error of its own (crashed, cancelled).
public struct FlowRunError: Error, Sendable, CustomStringConvertible {
    public let state: RunState
    public var description: String { "the run ended \(state)" }
}
