import Flows
import Testing

@Suite("run state machine")
struct RunStateMachineTests {
    typealias Event = RunStateMachine.Event

    static let events: [Event] = [
        .missedStart, .submit, .cacheHit, .start, .succeed, .fail(retryable: false), .timeOut(retryable: false), .cancel, .crash,
    ]

    /// The machine in `state` with no retries, reached through legal events only.
    static func machine(in state: RunState) -> RunStateMachine {
        var m = RunStateMachine(scheduled: [.scheduled, .late].contains(state), retryDelays: state == .retrying ? [.seconds(1)] : [])
        let path: [Event] = switch state {
        case .scheduled, .pending: []
        case .late: [.missedStart]
        case .running: [.start]
        case .retrying: [.start, .fail(retryable: true)]
        case .completed: [.start, .succeed]
        case .cached: [.cacheHit]
        case .failed: [.start, .fail(retryable: false)]
        case .timedOut: [.start, .timeOut(retryable: false)]
        case .cancelled: [.cancel]
        case .crashed: [.crash]
        }
        for e in path { _ = try! m.handle(e) }
        #expect(m.state == state)
        return m
    }

    /// Every legal (state, event) pair and where it leads; every other pair must be refused.
    static let legal: [RunState: [(Event, RunState)]] = [
        .scheduled: [(.missedStart, .late), (.submit, .pending), (.cancel, .cancelled), (.crash, .crashed)],
        .late: [(.submit, .pending), (.cancel, .cancelled), (.crash, .crashed)],
        .pending: [(.cacheHit, .cached), (.start, .running), (.cancel, .cancelled), (.crash, .crashed)],
        .running: [(.succeed, .completed), (.fail(retryable: false), .failed), (.timeOut(retryable: false), .timedOut),
                   (.cancel, .cancelled), (.crash, .crashed)],
        .retrying: [(.start, .running), (.cancel, .cancelled), (.crash, .crashed)],
    ]

    @Test(arguments: RunState.allCases)
    func everyEventFromEveryState(_ state: RunState) {
        for event in Self.events {
            var m = Self.machine(in: state)
            let expected = Self.legal[state]?.first { $0.0 == event }?.1
            do {
                let action = try m.handle(event)
                #expect(expected != nil, "\(state) accepted \(event)")
                #expect(action == .record(m.state))
                #expect(m.state == expected)
            } catch {
                #expect(expected == nil, "\(state) refused \(event)")
                #expect(m.state == state, "a refused event changed the state")
            }
        }
        #expect(state.isFinal == (Self.legal[state] == nil))
    }

    @Test func failuresRetryWhileDelaysRemainThenFail() throws {
        var m = RunStateMachine(retryDelays: [.seconds(10), .seconds(30)])
        #expect(try m.handle(.start) == .record(.running))
        #expect(try m.handle(.fail(retryable: true)) == .retry(after: .seconds(10)))
        #expect(m.state == .retrying)
        #expect(try m.handle(.start) == .record(.running))
        #expect(try m.handle(.timeOut(retryable: true)) == .retry(after: .seconds(30)))
        #expect(try m.handle(.start) == .record(.running))
        #expect(m.attempts == 3)
        #expect(try m.handle(.fail(retryable: true)) == .record(.failed))
    }

    @Test func aNonRetryableFailureEndsAtOnceAndATimeoutEndsTimedOut() throws {
        var m = RunStateMachine(retryDelays: [.seconds(10)])
        _ = try m.handle(.start)
        #expect(try m.handle(.fail(retryable: false)) == .record(.failed))
        var t = RunStateMachine()
        _ = try t.handle(.start)
        #expect(try t.handle(.timeOut(retryable: true)) == .record(.timedOut))
    }

    @Test func stateNamesParseLooselyForTheCommandLine() {
        #expect(RunState(name: "failed") == .failed)
        #expect(RunState(name: "timed_out") == .timedOut)
        #expect(RunState(name: "TimedOut") == .timedOut)
        #expect(RunState(name: "nope") == nil)
    }
}
