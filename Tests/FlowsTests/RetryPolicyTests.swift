import Flows
import Synchronization
import Testing

/// A clock that never sleeps: it records each requested sleep and advances instantly.
final class RecordingClock: Clock, @unchecked Sendable {
    // Invariant: only touched from the single task running the policy under test.
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by d: Duration) -> Instant { Instant(offset: offset + d) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }
    var now = Instant(offset: .zero)
    var minimumResolution: Duration { .nanoseconds(1) }
    var sleeps: [Duration] = []
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        sleeps.append(now.duration(to: deadline))
        now = deadline
    }
}

@Suite("retry policy")
struct RetryPolicyTests {
    struct Boom: Error {}

    @Test func retriesAfterEachDelayThenSucceeds() async throws {
        let clock = RecordingClock()
        let attempts = Mutex(0)
        let result = try await RetryPolicy.pipelineDefault.run(clock: clock) {
            let n = attempts.withLock { $0 += 1; return $0 }
            if n < 3 { throw Boom() }
            return n
        }
        #expect(result == 3)
        #expect(clock.sleeps == [.seconds(10), .seconds(30)])
    }

    @Test func givesUpAfterTheLastDelay() async throws {
        let clock = RecordingClock()
        await #expect(throws: Boom.self) {
            try await RetryPolicy.exponential(retries: 2, base: 1).run(clock: clock) { () async throws -> Int in throw Boom() }
        }
        #expect(clock.sleeps == [.seconds(1), .seconds(2)])
    }
}
