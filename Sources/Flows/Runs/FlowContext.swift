import Logging

/// What a running flow uses to run tasks and subflows, and to log.
public struct FlowContext: Sendable {
    let runner: FlowRunner
    public let runID: String
    public let name: String
    /// Lines logged here are stored with the flow run (secrets redacted) and shown by `sluice logs`.
    public let logger: Logger

    /// Runs `task` on `input` as a recorded task run (retries, timeout, cache) and returns its result,
    /// or throws its error once no retry is left.
    public func run<I, O>(_ task: FlowTask<I, O>, _ input: I) async throws -> O {
        try await runner.execute(task, input: input, in: self)
    }

    /// Runs a task that takes no input.
    public func run<O>(_ task: FlowTask<Void, O>) async throws -> O {
        try await runner.execute(task, input: (), in: self)
    }

    /// Runs `task` once per input, at most `maxConcurrency` at a time, and returns the results in
    /// input order. Every run finishes (or is cancelled with the flow); then the first failure, in
    /// input order, is thrown.
    public func map<I, O>(_ task: FlowTask<I, O>, _ inputs: [I], maxConcurrency: Int = 8) async throws -> [O] {
        let limit = max(1, maxConcurrency)
        var results = [Swift.Result<O, any Error>?](repeating: nil, count: inputs.count)
        await withTaskGroup(of: (Int, Swift.Result<O, any Error>).self) { group in
            var next = 0
            func submit() {
                let index = next
                let input = inputs[index]
                next += 1
                group.addTask {
                    do { return (index, .success(try await runner.execute(task, input: input, in: self))) } catch { return (index, .failure(error)) }
                }
            }
            while next < min(limit, inputs.count) { submit() }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < inputs.count { submit() }
            }
        }
        return try results.map { try $0!.get() }
    }

    /// Runs `flow` as a subflow of this one: its own flow run, linked to this run as its parent.
    /// Returns its result or throws its error.
    public func run<P, R>(_ flow: Flow<P, R>, parameters: P) async throws -> R {
        try await runner.execute(flow, parameters: parameters, parent: self, scheduledFor: nil).get()
    }
}
