import Foundation

/// When a ``RESTClient`` tries a request again: on connection errors (refused, dropped, timed out, a body
/// cut short), `408 Request Timeout`, `429 Too Many Requests` and `5xx`, up to ``maximumAttempts`` in all, waiting an
/// exponential backoff with full jitter (a random wait between 0 and `initialDelay * 2^(retry-1)`, capped
/// at ``maximumDelay``, as AWS's architecture blog recommends), or what the server's `Retry-After` says.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (1 = never retry).
    public var maximumAttempts: Int
    public var initialDelay: Duration
    public var maximumDelay: Duration
    /// The longest `Retry-After` honoured; a server asking for more fails the request with a clear error
    /// rather than stalling the run for an hour.
    public var maximumRetryAfter: Duration

    public init(maximumAttempts: Int = 5, initialDelay: Duration = .seconds(1), maximumDelay: Duration = .seconds(60),
                maximumRetryAfter: Duration = .seconds(300))
    {
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// Whether a response with this status is tried again.
    public static func isRetryable(status: Int) -> Bool { status == 408 || status == 429 || (500...599).contains(status) }

    /// Whether a response with this status refuses the request for good: a `4xx` other than `408 Request
    /// Timeout` and `429 Too Many Requests` (a wrong path or parameter, bad credentials). Such an error has
    /// code `.refused`, which a flow's task retries skip too.
    public static func isRefusal(status: Int) -> Bool { (400...499).contains(status) && status != 408 && status != 429 }

    /// The wait before retry `retry` (1 for the first retry): uniform in `0...min(maximumDelay, initialDelay * 2^(retry-1))`.
    public func backoff(retry: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = min(maximumDelay, initialDelay * (1 << min(max(retry - 1, 0), 30)))
        let nanos = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        return .nanoseconds(nanos <= 0 ? 0 : Int64.random(in: 0...nanos, using: &generator))
    }

    /// The wait a `Retry-After` header value asks for: delay-seconds, or an HTTP date (`now` is the
    /// current wall time); a date in the past is no wait. `nil` when the value is neither.
    public static func retryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text) { return .seconds(max(0, seconds)) }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) {
                return .milliseconds(max(0, Int64((date.timeIntervalSince(now) * 1000).rounded(.up))))
            }
        }
        return nil
    }
}
