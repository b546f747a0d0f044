import SluiceTesting
import Foundation
import Synchronization
import Testing

@testable import Flows

/// What a user sees of failed attempts, of crashes and of commands that leave helpers behind.
@Suite("retries, crashes and helpers are visible")
struct RunVisibilityTests {
    /// Collects the reports it is sent.
    final class Collecting: FlowNotifier {
        let reports = Mutex<[FlowRunReport]>([])
        var name: String { "collecting" }
        func notify(_ report: FlowRunReport) async throws { reports.withLock { $0.append(report) } }
    }

    @Test func everyFailedAttemptIsLoggedWithTheWaitBeforeTheNext() async throws {
        let clock = RecordingClock()
        let runner = makeRunner(clock: clock)
        let calls = Mutex(0)
        let flaky = FlowTask("flaky", retry: RetryPolicy(delays: [1, 2.5])) { _ in
            if calls.withLock({ $0 += 1; return $0 }) < 3 { throw Boom() }
        }
        let run = await runner.run(Flow("f") { flow in try await flow.run(flaky) }, parameters: NoParameters())
        #expect(run.state == .completed)
        let warnings = try await runner.store.logs(ofFlowRun: run.id).filter { $0.level == "warning" }.map(\.message)
        #expect(warnings == ["task flaky attempt 1 of 3 failed: boom; retrying in 1 s",
                             "task flaky attempt 2 of 3 failed: boom; retrying in 2.5 s"])
        #expect(try await taskRuns(runner.store, run.id).first?.attempts == 3)
    }

    @Test func aResultHoldingANumberASecretSpellsStaysJSON() async throws {
        var configuration = FlowRunner.Configuration()
        configuration.redactor = Redactor(secrets: ["1500"])
        let runner = FlowRunner(store: InMemoryRunStore(), configuration: configuration)
        let run = await runner.run(Flow("f") { _ in ["issues": 1500, "trips": 3000] }, parameters: NoParameters())
        let result = try #require(try await runner.store.run(id: run.id)?.result)
        let parsed = try JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: Any]
        #expect(parsed?["issues"] as? String == "***")
        #expect(parsed?["trips"] as? Int == 3000)
    }

    @Test func aCrashIsRecordedAndNotifiedOnceAmongProcessesSweepingTogether() async throws {
        let path = NSTemporaryDirectory() + "sluice-crash-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        // Two processes' stores on one file, each with its notifier.
        let stores = try (0..<4).map { _ in try SQLiteRunStore(path: path) }
        defer { stores.forEach { $0.close() } }
        let dead = await runToExit("/bin/true").pid
        stores[0].enqueue(.create(RunRecord(id: "gone", kind: .flow, name: "nightly", flowRunID: "gone", state: .running,
                                            createdAt: Date(), host: ProcessInfo.processInfo.hostName, pid: dead)))
        try await stores[0].flush()
        let notifiers = stores.map { _ in Collecting() }
        let runners = zip(stores, notifiers).map { store, notifier in
            var configuration = FlowRunner.Configuration()
            configuration.notifiers = [notifier]
            return FlowRunner(store: store, configuration: configuration)
        }
        let crashed = try await withThrowingTaskGroup(of: Int.self) { group in
            for runner in runners { group.addTask { try await runner.maintain(retention: nil).crashed.count } }
            return try await group.reduce(0, +)
        }
        #expect(crashed == 1)
        let reports = notifiers.flatMap { $0.reports.withLock { $0 } }
        #expect(reports.map(\.state) == [.crashed])
        #expect(reports.first?.flow == "nightly" && reports.first?.runID == "gone")
        #expect(try await runners[0].maintain(retention: nil).crashed.isEmpty)
    }

    @Test func aHelperHoldingTheOutputOpenDoesNotHoldTheCommandTask() async throws {
        let dir = try TemporaryDirectory.make("helper")
        defer {
            if let pid = Int32((try? String(contentsOfFile: dir + "/helper.pid", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: dir)
        }
        // The helper leaves the command's process group (setsid) and keeps its standard output open.
        let script = "setsid /bin/sh -c 'echo $$ > \(dir)/helper.pid; exec sleep 25' & echo started; sleep 0.5; exit 0"
        let task = FlowTask.command("deploy", ["/bin/sh", "-c", script], timeout: .seconds(2))
        let runner = makeRunner(clock: ContinuousClock())
        let run = await runner.run(Flow("f") { flow in try await flow.run(task).exitStatus }, parameters: NoParameters())
        #expect(run.state == .completed, "\(String(describing: run.error))")
        // Completed, not TimedOut: with a 2 s timeout, waiting for the helper (25 s) would have timed out.
        #expect(try await runner.store.logs(ofFlowRun: run.id).map(\.message).contains("started"))
    }
}
