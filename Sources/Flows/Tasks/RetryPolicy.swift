/// When a failed run tries again: after each delay of a list, like Prefect's `retry_delay_seconds`.
///
/// The number of retries is the number of delays: `[10, 30, 90]` retries three times.
///
/// ```swift
/// var retry = RetryPolicy(delays: [10, 30, 90], jitter: 0.2)
/// retry.condition = { error in (error as? HTTPError)?.status != 404 }
/// ```
public struct RetryPolicy: Sendable {
    /// Seconds to wait before each retry.
    public var delays: [Double]
    /// Spreads each delay uniformly over `delay * (1 - jitter) ... delay * (1 + jitter)` so that
    /// many runs failing together do not retry together. `0` (the default) waits exactly.
    public var jitter: Double
    /// Decides whether an error is worth another attempt; `nil` (the default) retries every error.
    /// Cancellation is never retried.
    public var condition: (@Sendable (any Error) -> Bool)?

    public init(delays: [Double] = [], jitter: Double = 0, condition: (@Sendable (any Error) -> Bool)? = nil) {
        self.delays = delays
        self.jitter = min(max(jitter, 0), 1)
        self.condition = condition
    }

    /// No retries.
    public static let none = RetryPolicy()

    /// Our users' convention for pipeline tasks: three retries after 10, 30 and 90 seconds.
    public static let pipelineDefault = RetryPolicy(delays: [10, 30, 90])

    /// Exponential backoff: `retries` delays of `base * factor^k` seconds.
    public static func exponential(retries: Int, base: Double, factor: Double = 2, jitter: Double = 0) -> RetryPolicy {
        var delays: [Double] = []
        var delay = base
        for _ in 0..<max(retries, 0) {
            delays.append(delay)
            delay *= factor
        }
        return RetryPolicy(delays: delays, jitter: jitter)
    }

    /// Whether `error` may be retried (attempts permitting).
    public func allowsRetry(after error: any Error) -> Bool {
        condition?(error) ?? true
    }

    /// The delays to wait, with jitter drawn from `random` (values in `0..<1`).
    public func jitteredDelays(random: () -> Double) -> [Duration] {
        delays.map { delay in
            let factor = jitter == 0 ? 1 : 1 + jitter * (2 * random() - 1)
            return .nanoseconds(Int64((max(delay, 0) * factor * 1e9).rounded()))
        }
    }
}
