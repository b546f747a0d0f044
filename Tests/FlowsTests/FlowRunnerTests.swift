import SluiceTesting
import Foundation
import Synchronization
import Testing

@testable import Flows

struct Boom: Error, CustomStringConvertible {
    var description: String { "boom" }
}

struct NotWorthRetrying: Error {}

/// A runner over a fresh in-memory store and a recording clock.
func makeRunner(clock: some Clock<Duration> = RecordingClock(), now: @escaping @Sendable () -> Date = { Date() },
                store: any RunStore = InMemoryRunStore()) -> FlowRunner {
    var configuration = FlowRunner.Configuration()
    configuration.clock = clock
    configuration.now = now
    return FlowRunner(store: store, configuration: configuration)
}

/// The task runs of a flow run, oldest first.
func taskRuns(_ store: any RunStore, _ flowRunID: String) async throws -> [RunRecord] {
    try await store.runs(RunQuery(kind: .task, flowRunID: flowRunID, limit: 10_000)).reversed()
}

func stateNames(_ store: any RunStore, _ runID: String) async throws -> [RunState] {
    try await store.states(of: runID).map(\.state)
}

@Suite("flow runner")
struct FlowRunnerTests {
    @Test func retriesWaitExactlyTheConfiguredDelays() async throws {
        let clock = RecordingClock()
        let runner = makeRunner(clock: clock)
        let calls = Mutex(0)
        let flaky = FlowTask("flaky", retry: .pipelineDefault) { _ in
            let n = calls.withLock { $0 += 1; return $0 }
            if n < 4 { throw Boom() }
            return n
        }
        let run = await runner.run(Flow("f") { flow in try await flow.run(flaky) }, parameters: NoParameters())
        #expect(run.state == .completed)
        #expect(try run.get() == 4)
        #expect(clock.sleeps == [.seconds(10), .seconds(30), .seconds(90)])
        let task = try #require(try await taskRuns(runner.store, run.id).first)
        #expect(task.attempts == 4)
        #expect(try await stateNames(runner.store, task.id)
            == [.pending, .running, .retrying, .running, .retrying, .running, .retrying, .running, .completed])
        let retrying = try await runner.store.states(of: task.id).filter { $0.state == .retrying }
        #expect(retrying.first?.message == "boom; retrying in 10.0 seconds")
    }

    @Test func exhaustedRetriesFailTheTaskAndTheFlow() async throws {
        let clock = RecordingClock()
        let runner = makeRunner(clock: clock)
        let always = FlowTask<Void, Int>("always", retry: .exponential(retries: 3, base: 2)) { _ in throw Boom() }
        let run = await runner.run(Flow("f") { flow in try await flow.run(always) }, parameters: NoParameters())
        #expect(run.state == .failed)
        #expect(run.error is Boom)
        #expect(clock.sleeps == [.seconds(2), .seconds(4), .seconds(8)])
        let flowRecord = try #require(try await runner.store.run(id: run.id))
        #expect(flowRecord.error == "boom")
        #expect(try await taskRuns(runner.store, run.id).map(\.state) == [.failed])
    }

    @Test func jitterStaysWithinItsBoundsAndVaries() async throws {
        let clock = RecordingClock()
        let runner = makeRunner(clock: clock)
        let task = FlowTask<Void, Int>("jittery", retry: RetryPolicy(delays: Array(repeating: 10, count: 50), jitter: 0.3)) { _ in throw Boom() }
        _ = await runner.run(Flow("f") { flow in try await flow.run(task) }, parameters: NoParameters())
        let seconds = clock.sleeps.map(\.seconds)
        #expect(seconds.count == 50)
        #expect(seconds.allSatisfy { $0 >= 7 && $0 <= 13 }, "\(seconds)")
        #expect(Set(seconds).count > 40)
    }

    @Test func theRetryConditionDecidesWhichErrorsAreRetried() async throws {
        let clock = RecordingClock()
        let runner = makeRunner(clock: clock)
        let errors = Mutex<[any Error]>([Boom(), NotWorthRetrying(), Boom()])
        let retry = RetryPolicy(delays: [1, 1, 1]) { !($0 is NotWorthRetrying) }
        let task = FlowTask<Void, Int>("picky", retry: retry) { _ in throw errors.withLock { $0.removeFirst() } }
        let run = await runner.run(Flow("f") { flow in try await flow.run(task) }, parameters: NoParameters())
        #expect(run.state == .failed)
        #expect(run.error is NotWorthRetrying)
        #expect(clock.sleeps == [.seconds(1)], "only the first error was retried")
    }

    @Test func aTimeoutCancelsTheWorkAndEndsTimedOut() async throws {
        let clock = ManualClock()
        let runner = makeRunner(clock: clock)
        let observed = Mutex((cancelled: false, finished: false))
        let slow = FlowTask("slow", timeout: .seconds(5)) { _ in
            do {
                try await clock.sleep(for: .seconds(3600))
                observed.withLock { $0.finished = true }
            } catch {
                observed.withLock { $0.cancelled = error is CancellationError }
                throw error
            }
        }
        let flow = Flow("f") { flow in try await flow.run(slow) }
        let running = Task { await runner.run(flow, parameters: NoParameters()) }
        try await clock.waitForSleepers(2)  // the work and its timeout
        clock.advance(by: .seconds(5))
        let run = await running.value
        #expect(run.state == .failed, "the flow did not catch the task's timeout")
        #expect(run.error is TimeoutError)
        #expect(observed.withLock { $0 } == (cancelled: true, finished: false))
        let task = try #require(try await taskRuns(runner.store, run.id).first)
        #expect(task.state == .timedOut)
        #expect(task.error == "task slow timed out after 5.0 seconds")
    }

    @Test func aFlowTimeoutEndsTheFlowTimedOut() async throws {
        let clock = ManualClock()
        let runner = makeRunner(clock: clock)
        let flow = Flow<NoParameters, Void>("slow_flow", timeout: .seconds(60)) { _ in try await clock.sleep(for: .seconds(600)) }
        let running = Task { await runner.run(flow, parameters: NoParameters()) }
        try await clock.waitForSleepers(2)
        clock.advance(by: .seconds(60))
        #expect(await running.value.state == .timedOut)
    }

    @Test func concurrentMapKeepsToItsBoundAndInputOrder() async throws {
        let clock = ManualClock()
        let runner = makeRunner(clock: clock)
        let counts = Mutex((inFlight: 0, most: 0, started: 0))
        let square = FlowTask("square") { (_, n: Int) -> Int in
            counts.withLock { c in
                c.inFlight += 1
                c.started += 1
                c.most = max(c.most, c.inFlight)
            }
            try await clock.sleep(for: .seconds(1))
            counts.withLock { $0.inFlight -= 1 }
            return n * n
        }
        let flow = Flow("squares") { flow in try await flow.map(square, Array(1...10), maxConcurrency: 3) }
        let running = Task { await runner.run(flow, parameters: NoParameters()) }
        // Rounds of 3, 3, 3 and 1 tasks: each round sleeps until the clock moves.
        for inRound in [3, 3, 3, 1] {
            try await clock.waitForSleepers(inRound)
            for _ in 0..<50 { await Task.yield() }  // a fourth task, if the bound let one start, would be here
            #expect(counts.withLock { $0.inFlight } == inRound)
            clock.advance(by: .seconds(1))
        }
        let run = await running.value
        #expect(try run.get() == (1...10).map { $0 * $0 })
        #expect(counts.withLock { $0.most } == 3)
        #expect(try await taskRuns(runner.store, run.id).count == 10)
    }

    @Test func subflowsAreLinkedToTheirParentAndFailItWhenTheyFail() async throws {
        let runner = makeRunner()
        let leaf = FlowTask("leaf") { (_, n: Int) -> Int in n + 1 }
        struct Child: Codable, Sendable { var n: Int }
        let child = Flow("child") { (flow, p: Child) -> Int in
            if p.n < 0 { throw Boom() }
            return try await flow.run(leaf, p.n)
        }
        let parent = Flow("parent") { flow in
            let a = try await flow.run(child, parameters: Child(n: 1))
            return try await flow.run(child, parameters: Child(n: a))
        }
        let run = await runner.run(parent, parameters: NoParameters())
        #expect(try run.get() == 3)
        let children = try await runner.store.runs(RunQuery(kind: .flow, name: "child"))
        #expect(children.count == 2)
        #expect(children.allSatisfy { $0.parentRunID == run.id && $0.state == .completed })
        #expect(children.allSatisfy { $0.parameters?.hasPrefix("{\"n\":") == true })
        for c in children { #expect(try await taskRuns(runner.store, c.id).map(\.name) == ["leaf"]) }
        #expect(try await taskRuns(runner.store, run.id).isEmpty, "the leaf tasks belong to the subflows")

        let failing = await runner.run(Flow("parent2") { flow in try await flow.run(child, parameters: Child(n: -1)) }, parameters: NoParameters())
        #expect(failing.state == .failed)
        #expect(try await runner.store.runs(RunQuery(kind: .flow, name: "child", state: .failed)).first?.parentRunID == failing.id)
    }

    @Test func aFlowsStateComesFromWhatItReturnsOrThrowsAndHooksRun() async throws {
        let runner = makeRunner()
        let reports = Mutex<[FlowRunReport]>([])
        var failing = Flow<NoParameters, Int>("failing") { _ in throw Boom() }
        failing.onFailure = [{ report in reports.withLock { $0.append(report) } }]
        var caught = Flow("catches") { flow in
            (try? await flow.run(FlowTask<Void, Int>("bad") { _ in throw Boom() })) ?? -1
        }
        caught.onCompletion = [{ report in reports.withLock { $0.append(report) } }]
        #expect(await runner.run(failing, parameters: NoParameters()).state == .failed)
        let ok = await runner.run(caught, parameters: NoParameters())
        #expect(ok.state == .completed, "a task failure the flow handles does not fail the flow")
        #expect(try ok.get() == -1)
        #expect(reports.withLock { $0.map(\.state) } == [.failed, .completed])
        #expect(reports.withLock { $0[0].error } == "boom")
        #expect(try await runner.store.run(id: ok.id)?.result == "-1")
    }

    @Test func cancellingAFlowCancelsItsTasks() async throws {
        let clock = ManualClock()
        let runner = makeRunner(clock: clock)
        let wait = FlowTask("wait") { _ in try await clock.sleep(for: .seconds(100)) }
        let running = Task { await runner.run(Flow("f") { flow in try await flow.run(wait) }, parameters: NoParameters()) }
        try await clock.waitForSleepers(1)
        running.cancel()
        let run = await running.value
        #expect(run.state == .cancelled)
        #expect(try await taskRuns(runner.store, run.id).map(\.state) == [.cancelled])
    }

    @Test func aRunStartedLateIsMarkedLateFirst() async throws {
        let clock = RecordingClock()
        let runner = makeRunner(clock: clock, now: { clock.date })
        let due = clock.date.addingTimeInterval(-300)
        let run = await runner.run(Flow("f") { _ in 1 }, parameters: NoParameters(), scheduledFor: due)
        #expect(try await stateNames(runner.store, run.id) == [.scheduled, .late, .pending, .running, .completed])
        let onTime = await runner.run(Flow("g") { _ in 1 }, parameters: NoParameters(), scheduledFor: clock.date.addingTimeInterval(30))
        #expect(clock.sleeps == [.seconds(30)], "a run scheduled ahead waits for its time")
        #expect(try await stateNames(runner.store, onTime.id) == [.scheduled, .pending, .running, .completed])
    }

    @Test func parametersAreTypedValidatedAndRecorded() async throws {
        // Synthesized Decodable ignores default values: parameters with defaults are optionals.
        struct Params: Codable, Sendable {
            var day: String
            var limit: Int?
            var dryRun: Bool?
        }
        let parsed = try FlowParameters.decode(Params.self, from: FlowParameters.parse(["day=2026-11-22", "limit=5", "dry_run=true"]))
        #expect(parsed.day == "2026-11-22" && parsed.limit == 5 && parsed.dryRun == true)
        #expect(throws: ParameterError.self) { try FlowParameters.parse(["novalue"]) }
        let unknown = #expect(throws: ParameterError.self) { try FlowParameters.decode(Params.self, from: ["day": "x", "limit": "1", "lmit": "3"]) }
        #expect(unknown?.description == "unknown parameter lmit (expected: day, limit)")
        let wrongType = #expect(throws: ParameterError.self) { try FlowParameters.decode(Params.self, from: ["day": "x", "limit": "many"]) }
        #expect(wrongType?.description == "parameter limit: expected an integer")
        let missing = #expect(throws: ParameterError.self) { try FlowParameters.decode(Params.self, from: [:]) }
        #expect(missing?.description == "missing parameter day")

        let runner = makeRunner()
        let flow = Flow("p", validate: { (p: Params) in if (p.limit ?? 0) > 100 { throw ParameterError("limit must be at most 100") } }) { _, p in p.limit ?? 10 }
        let bad = await runner.run(flow, parameters: Params(day: "d", limit: 500))
        #expect(bad.state == .failed)
        #expect(try await runner.store.run(id: bad.id)?.error == "limit must be at most 100")
        let good = await runner.run(flow, parameters: Params(day: "d", limit: 7))
        #expect(try await runner.store.run(id: good.id)?.parameters == #"{"day":"d","limit":7}"#)
    }
}
