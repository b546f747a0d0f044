import Foundation
import Synchronization

/// The instants of the test clocks: a duration since the clock's start.
public struct TestInstant: InstantProtocol, Sendable {
    public var offset: Duration
    public init(offset: Duration) { self.offset = offset }
    public func advanced(by d: Duration) -> TestInstant { TestInstant(offset: offset + d) }
    public func duration(to other: TestInstant) -> Duration { other.offset - offset }
    public static func < (a: TestInstant, b: TestInstant) -> Bool { a.offset < b.offset }
}

extension Duration {
    /// The duration in seconds, fractions included.
    var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A clock whose sleeps return at once, recording what was asked; its time moves by the sleeps.
public final class RecordingClock: Clock, Sendable {
    public typealias Instant = TestInstant
    private let state = Mutex((now: TestInstant(offset: .zero), sleeps: [Duration]()))

    public init() {}
    public var now: TestInstant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }
    /// Every sleep asked for, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }
    /// Wall time: a fixed epoch (2027-01-15T08:00:00Z) plus the slept time.
    public var date: Date { Date(timeIntervalSince1970: 1_800_000_000 + now.offset.secondsValue) }

    public func sleep(until deadline: TestInstant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        state.withLock { s in
            s.sleeps.append(s.now.duration(to: deadline))
            s.now = max(s.now, deadline)
        }
    }
}

/// A clock that moves only when the test advances it; sleepers wake when their deadline passes,
/// and a cancelled sleeper throws `CancellationError` at once.
public final class ManualClock: Clock, Sendable {
    public typealias Instant = TestInstant

    private struct Sleeper {
        let id: Int
        let deadline: TestInstant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let state = Mutex((now: TestInstant(offset: .zero), sleepers: [Sleeper](), nextID: 0))
    /// `date` at the clock's start; 2027-01-15T08:00:00Z unless given.
    public let epoch: Date

    public init(epoch: Date = Date(timeIntervalSince1970: 1_800_000_000)) { self.epoch = epoch }
    public var now: TestInstant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }
    /// Wall time: the epoch plus the time advanced.
    public var date: Date { epoch.addingTimeInterval(now.offset.secondsValue) }
    /// How many tasks sleep on this clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: TestInstant, tolerance: Duration?) async throws {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { s in
                    if deadline <= s.now || Task.isCancelled { return true }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: i)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let due = state.withLock { s -> [Sleeper] in
            s.now = s.now.advanced(by: duration)
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits (yielding, bounded by ``realTimeBound`` of real time) until `count` tasks sleep on this clock.
    public func waitForSleepers(_ count: Int) async throws {
        let deadline = ContinuousClock.now + realTimeBound
        while sleeperCount < count {
            guard ContinuousClock.now < deadline else { throw WaitTimeout(what: "\(count) sleepers, have \(sleeperCount)") }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// How long a test waits in real time for something that should happen at once (a hang guard, not a
/// measure): generous, because in the full suite on two cores the test pool can be queued behind other
/// tests' work for tens of seconds.
public let realTimeBound: Duration = .seconds(180)

/// A bounded wait that gave up.
public struct WaitTimeout: Error, CustomStringConvertible {
    public let what: String
    public init(what: String) { self.what = what }
    public var description: String { "gave up waiting for \(what)" }
}

/// Polls `condition` every 2 ms for up to ``realTimeBound`` of real time (for events of real processes).
public func eventually(_ what: String, _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + realTimeBound
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(2))
    }
}
