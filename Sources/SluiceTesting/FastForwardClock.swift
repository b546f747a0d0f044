import Synchronization

/// A clock whose sleeps return at once: its time moves forward by each sleep, and it records what was
/// asked, so code that backs off or waits for a rate limit is tested without waiting.
public final class FastForwardClock: Clock, Sendable {
    public struct Instant: InstantProtocol {
        public var offset: Duration
        public func advanced(by d: Duration) -> Instant { Instant(offset: offset + d) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private let state = Mutex((now: Instant(offset: .zero), sleeps: [Duration]()))

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }
    /// Every sleep asked for, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }

    /// Moves time forward without a sleep (a token expiring, time passing between calls).
    public func advance(by duration: Duration) { state.withLock { $0.now = $0.now.advanced(by: duration) } }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        state.withLock { s in
            s.sleeps.append(s.now.duration(to: deadline))
            s.now = max(s.now, deadline)
        }
    }
}
