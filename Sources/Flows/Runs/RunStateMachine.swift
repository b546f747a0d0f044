/// The lifecycle of one flow or task run: a value whose `mutating` methods take an event and
/// return the transition to record, or refuse an event the current state does not allow.
///
/// It decides retries too: a failure while attempts remain moves to ``RunState/retrying`` and
/// asks the caller to wait; the runner sleeps, then sends ``Event/start``. Tested without I/O.
public struct RunStateMachine: Sendable, Equatable {
    public enum Event: Sendable, Equatable {
        /// A scheduled run passed its start time by more than the grace period.
        case missedStart
        /// The run is due (or was created due).
        case submit
        /// A cached result was found: the run completes without working.
        case cacheHit
        /// An attempt begins.
        case start
        case succeed
        /// An attempt threw; `retryable` says whether the retry condition allows another attempt.
        case fail(retryable: Bool)
        /// An attempt ran past its timeout (and was cancelled); retried like a failure.
        case timeOut(retryable: Bool)
        case cancel
        case crash
    }

    public enum Action: Sendable, Equatable {
        /// Record the new state.
        case record(RunState)
        /// Record ``RunState/retrying``, wait `delay`, then send ``Event/start``.
        case retry(after: Duration)
    }

    public struct InvalidTransition: Error, Sendable, Equatable, CustomStringConvertible {
        public let state: RunState
        public let event: Event
        public var description: String { "a \(state) run cannot take \(event)" }
    }

    public private(set) var state: RunState
    /// Attempts started so far (1 during the first attempt).
    public private(set) var attempts = 0
    /// The wait before each retry; their count is the number of retries.
    public let retryDelays: [Duration]

    /// A run created due (`Pending` comes with ``Event/submit``) or for later (`Scheduled`).
    public init(scheduled: Bool = false, retryDelays: [Duration] = []) {
        state = scheduled ? .scheduled : .pending
        self.retryDelays = retryDelays
    }

    /// Applies `event`, returning what to record, or throws ``InvalidTransition`` leaving the state unchanged.
    public mutating func handle(_ event: Event) throws(InvalidTransition) -> Action {
        let next: RunState
        switch (state, event) {
        case (.scheduled, .missedStart): next = .late
        case (.scheduled, .submit), (.late, .submit): next = .pending
        case (.pending, .cacheHit): next = .cached
        case (.pending, .start), (.retrying, .start):
            attempts += 1
            next = .running
        case (.running, .succeed): next = .completed
        case (.running, .fail(let retryable)), (.running, .timeOut(let retryable)):
            if retryable, attempts <= retryDelays.count {
                state = .retrying
                return .retry(after: retryDelays[attempts - 1])
            }
            if case .timeOut = event { next = .timedOut } else { next = .failed }
        case (let s, .cancel) where !s.isFinal: next = .cancelled
        case (let s, .crash) where !s.isFinal: next = .crashed
        default: throw InvalidTransition(state: state, event: event)
        }
        state = next
        return .record(next)
    }
}
