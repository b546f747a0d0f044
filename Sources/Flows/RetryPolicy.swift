/// When a failed task runs again: after each delay of a list, like Prefect's `retry_delay_seconds`.
///
/// The number of retries is the number of delays: `[10, 30, 90]` retries three times. The full
/// orchestration layer (flows, task runs, states, run store) builds on this; see the flows issue.
public struct RetryPolicy: Sendable, Hashable {
    /// Seconds to wait before each retry.
    public var delays: [Double]

    public init(delays: [Double]) { self.delays = delays }

    /// Our users' convention for pipeline tasks: three retries after 10, 30 and 90 seconds.
    public static let pipelineDefault = RetryPolicy(delays: [10, 30, 90])

    /// Exponential backoff: `retries` delays of `base * factor^k` seconds.
    public static func exponential(retries: Int, base: Double, factor: Double = 2) -> RetryPolicy {
        RetryPolicy(delays: (0..<retries).map { k in base * pow(factor, k) })
    }

    /// Runs `work`, retrying on error after each delay, sleeping on `clock` (tests pass a manual clock).
    public func run<C: Clock, T: Sendable>(
        clock: C, _ work: @Sendable () async throws -> T
    ) async throws -> T where C.Duration == Duration {
        var attempt = 0
        while true {
            do {
                return try await work()
            } catch {
                guard attempt < delays.count else { throw error }
                try await clock.sleep(for: .milliseconds(Int64(delays[attempt] * 1000)))
                attempt += 1
            }
        }
    }
}

private func pow(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<exponent { result *= base }
    return result
}
