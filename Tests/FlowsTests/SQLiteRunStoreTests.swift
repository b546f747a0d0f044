import SluiceTesting
import Foundation
import Synchronization
import Testing

@testable import Flows

func scratchStorePath() -> String {
    try! TemporaryDirectory.make("flows") + "/runs.sqlite"
}

/// Wall time the test moves by hand.
final class TestTime: Sendable {
    private let value = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: Double) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite("SQLite run store")
struct SQLiteRunStoreTests {
    /// The `sluice-bench` binary, built beside the test bundle.
    static var bench: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("sluice-bench").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("sluice-bench").path
    }

    @Test func aCachedResultIsReusedByAnotherProcess() async throws {
        let path = scratchStorePath()
        for _ in 0..<2 {
            #expect(await runToExit(Self.bench, ["flows", "--tasks", "5", "--cached", "--store", path]).status == 0)
        }
        let store = try SQLiteRunStore(path: path)
        defer { store.close() }
        let flows = try await store.runs(RunQuery(kind: .flow, name: "bench"))
        #expect(flows.count == 2)
        let (second, first) = (flows[0], flows[1])
        #expect(try await taskRuns(store, first.id).map(\.state) == Array(repeating: .completed, count: 5))
        #expect(try await taskRuns(store, second.id).map(\.state) == Array(repeating: .cached, count: 5))
        #expect(first.pid != second.pid)
    }

    @Test func cachedResultsExpireAndRefresh() async throws {
        let store = try SQLiteRunStore(path: scratchStorePath())
        defer { store.close() }
        let time = TestTime()
        let runner = makeRunner(now: { time.now }, store: store)
        let calls = Mutex(0)
        let rates = FlowTask("rates") { (_, day: String) -> [String: Double] in
            calls.withLock { $0 += 1 }
            return ["EUR": 1.08, "day": Double(day.count)]
        }.cached(CachePolicy(expiration: .seconds(60)))
        let flow = Flow("rates_flow") { (flow, day: String) in try await flow.run(rates, day) }

        func state(_ day: String) async throws -> RunState {
            let run = await runner.run(flow, parameters: day)
            #expect(run.state == .completed)
            #expect(try run.get()["EUR"] == 1.08)
            return try await taskRuns(store, run.id)[0].state
        }
        #expect(try await state("2026-11-22") == .completed)
        #expect(try await state("2026-11-22") == .cached)
        #expect(try await state("2026-11-23") == .completed, "another input, another key")
        time.advance(59)
        #expect(try await state("2026-11-22") == .cached)
        time.advance(2)
        #expect(try await state("2026-11-22") == .completed, "expired after 60 s")
        #expect(calls.withLock { $0 } == 3)

        let refreshing = FlowTask("rates") { (_, day: String) -> [String: Double] in ["EUR": 1.08] }
            .cached(CachePolicy(expiration: .seconds(60), refresh: true))
        let run = await runner.run(Flow("refresh") { flow in try await flow.run(refreshing, "2026-11-22") }, parameters: NoParameters())
        #expect(try await taskRuns(store, run.id)[0].state == .completed, "refresh runs the task even when cached")
    }

    @Test func runsOfADeadProcessBecomeCrashed() async throws {
        let store = try SQLiteRunStore(path: scratchStorePath())
        defer { store.close() }
        let time = TestTime()
        // A process that has exited: its pid is free.
        let gone = await runToExit("/bin/true").pid
        let host = ProcessInfo.processInfo.hostName
        for (id, pid) in [("dead-flow", gone), ("live-flow", ProcessInfo.processInfo.processIdentifier)] {
            store.enqueue(.create(RunRecord(id: id, kind: .flow, name: "f", flowRunID: id, state: .running, createdAt: time.now, host: host, pid: pid)))
            store.enqueue(.create(RunRecord(id: id + "-task", kind: .task, name: "t", flowRunID: id, state: .running, createdAt: time.now)))
        }
        try await store.flush()
        let runner = makeRunner(now: { time.now }, store: store)
        let crashed = try await runner.maintain(retention: nil).crashed
        #expect(crashed.map(\.id) == ["dead-flow"])
        #expect(try await store.run(id: "dead-flow")?.state == .crashed)
        #expect(try await store.run(id: "dead-flow-task")?.state == .crashed)
        #expect(try await store.states(of: "dead-flow-task").map(\.state) == [.crashed])
        #expect(try await store.run(id: "live-flow")?.state == .running)
    }

    @Test func retentionPrunesOldFinishedRunsWithTheirStatesAndLogs() async throws {
        let store = try SQLiteRunStore(path: scratchStorePath())
        defer { store.close() }
        let time = TestTime()
        let runner = makeRunner(now: { time.now }, store: store)
        let flow = Flow("daily") { flow in
            flow.logger.info("working")
            return try await flow.run(FlowTask("t") { _ in 1 })
        }
        let old = await runner.run(flow, parameters: NoParameters())
        time.advance(40 * 86_400)
        let recent = await runner.run(flow, parameters: NoParameters())
        time.advance(86_400)
        let pruned = try await runner.maintain(retention: .seconds(30 * 86_400)).pruned
        #expect(pruned == 1)
        #expect(try await store.run(id: old.id) == nil)
        #expect(try await store.logs(ofFlowRun: old.id).isEmpty)
        #expect(try await store.runs(RunQuery(kind: .task, limit: 100)).count == 1)
        #expect(try await store.run(id: recent.id)?.state == .completed)
        #expect(try await store.logs(ofFlowRun: recent.id).contains { $0.message == "working" })
    }

    @Test func twoStoresOnOneFileWriteAtOnceWithoutLockErrors() async throws {
        let path = scratchStorePath()
        let a = try SQLiteRunStore(path: path), b = try SQLiteRunStore(path: path)
        defer { a.close(); b.close() }
        let task = FlowTask("t") { (_, i: Int) in i }
        let flow = Flow("many") { flow in try await flow.map(task, Array(0..<300), maxConcurrency: 16).count }
        async let first = FlowRunner(store: a).run(flow, parameters: NoParameters())
        async let second = FlowRunner(store: b).run(flow, parameters: NoParameters())
        let (x, y) = await (first, second)
        #expect(x.state == .completed && y.state == .completed)
        #expect(try await a.runs(RunQuery(kind: .task, limit: 10_000)).count == 600)
    }

    @Test func shortIdsFindRuns() async throws {
        let store = try SQLiteRunStore(path: scratchStorePath())
        defer { store.close() }
        let run = await FlowRunner(store: store).run(Flow("f") { _ in 1 }, parameters: NoParameters())
        #expect(try await store.run(id: String(run.id.prefix(8)))?.id == run.id)
        #expect(try await store.run(id: "ffffffff-nope") == nil)
        // Wildcards are characters: `sluice logs %` finds no run rather than the only (or an ambiguous) one.
        for pattern in ["%", "_", String(run.id.prefix(3)) + "%", ""] { #expect(try await store.run(id: pattern) == nil, "\(pattern)") }
    }

    @Test func secretsAreRedactedFromLogsErrorsAndParameters() async throws {
        let store = try SQLiteRunStore(path: scratchStorePath())
        defer { store.close() }
        var configuration = FlowRunner.Configuration()
        configuration.redactor = Redactor(secrets: ["hunter2-secret"])
        let runner = FlowRunner(store: store, configuration: configuration)
        let leaky = FlowTask("leaky") { (task, token: String) in
            task.logger.info("connecting with \(token) to postgresql://loader:pw-xyz-123@db.internal:5432/warehouse")
            throw ParameterError("rejected token \(token)")
        }
        let run = await runner.run(Flow("f") { (flow, token: String) in try await flow.run(leaky, token) }, parameters: "hunter2-secret")
        #expect(run.state == .failed)
        let logs = try await store.logs(ofFlowRun: run.id).map(\.message)
        #expect(logs.contains("connecting with *** to postgresql://loader:***@db.internal:5432/warehouse"))
        let record = try #require(try await store.run(id: run.id))
        #expect(record.error == "rejected token ***")
        #expect(record.parameters == "\"***\"")
        let everything = try await store.runs(RunQuery(kind: nil, limit: 100)).map { "\($0)" }.joined()
            + (try await store.states(of: run.id)).map { "\($0)" }.joined() + logs.joined()
        #expect(!everything.contains("hunter2") && !everything.contains("pw-xyz"))
    }
}
