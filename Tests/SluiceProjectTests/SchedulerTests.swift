import DatabaseClients
import Flows
import Foundation
import PipelineCore
import SluiceProject
import SluiceTesting
import Synchronization
import Testing

/// `sluice serve`'s scheduler on a manual clock: days pass in milliseconds, through restarts, a crash, edits of
/// sluice.toml and a daylight saving change, with every slot run once.
@Suite("scheduler")
struct SchedulerTests {
    /// A project whose `events` pipeline appends two rows per run into SQLite, deployed as `nightly`.
    struct ServeProject {
        let dir = try! TemporaryDirectory.make("serve")
        var storePath: String { dir + "/.sluice/runs.sqlite" }

        init(schedule: String = "cron = \"30 2 * * *\", timezone = \"America/New_York\"", extra: String = "", flow: String = "retries = [10]") throws {
            try "{\"id\":1}\n{\"id\":2}\n".write(toFile: dir + "/events.jsonl", atomically: true, encoding: .utf8)
            try write(schedule: schedule, extra: extra, flow: flow)
        }

        func write(schedule: String, extra: String = "", flow: String = "retries = [10]") throws {
            let toml = """
                [destination.sqlite]
                path = "\(dir)/{pipeline}.sqlite"

                [pipelines.events]
                source = "files"

                [pipelines.events.tables.events]
                path = "\(dir)/events.jsonl"

                [pipelines.events.flow]
                \(flow)

                [deployments.nightly]
                flow = "events"
                schedules = [{ \(schedule) }]
                \(extra)
                """
            try toml.write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        }

        var configuration: Project.Configuration {
            var c = Project.Configuration(folder: dir)
            c.environment = [:]
            return c
        }

        func rows() throws -> Int {
            let db = try SQLiteConnection(path: dir + "/events.sqlite")
            return Int(try db.query("SELECT count(*) FROM events").first?[0] ?? "0") ?? 0
        }
    }

    /// A scheduler running in a task, on a manual clock; `advance(to:)` moves time from wake to wake.
    final class Serving: Sendable {
        let clock: ManualClock
        let store: SQLiteRunStore
        let task: Task<Void, any Error>
        private let idle = Idle()

        init(_ project: ServeProject, clock: ManualClock) async throws {
            self.clock = clock
            let store = try SQLiteRunStore(path: project.storePath)
            self.store = store
            var configuration = Scheduler.Configuration()
            configuration.clock = clock
            configuration.now = { clock.date }
            configuration.reloadInterval = .seconds(3600)
            let idle = self.idle
            configuration.onIdle = { until in idle.state.withLock { $0 = ($0.count + 1, until) } }
            let scheduler = Scheduler(project: project.configuration, store: store, configuration: configuration) { project in
                try PipelineFlows.runner(store: store, project: project)
            }
            task = Task { try await scheduler.run() }
            try await waitIdle(after: 0)
        }

        private func waitIdle(after count: Int) async throws {
            try await eventually("the scheduler to wait") { idle.state.withLock { $0.count > count } }
        }

        /// Moves the clock to `date`, stopping at each time the scheduler wakes and letting it finish its work.
        func advance(to date: Date) async throws {
            while clock.date < date {
                let (count, until) = idle.state.withLock { ($0.count, $0.until ?? date) }
                let target = min(until, date)
                clock.advance(by: .seconds(target.timeIntervalSince(clock.date)))
                if target >= until { try await waitIdle(after: count) }
            }
        }

        /// Moves the clock by `seconds` at once (whatever the scheduler sleeps until) and waits for it to settle.
        func jump(by seconds: Double) async throws {
            let count = idle.state.withLock { $0.count }
            clock.advance(by: .seconds(seconds))
            try await waitIdle(after: count)
        }

        /// A graceful stop (what SIGTERM does); the store is closed as the process would.
        func stop() async throws {
            task.cancel()
            try await task.value
            store.close()
        }
    }

    /// How many times the scheduler waited with nothing running, and until when it sleeps.
    final class Idle: Sendable {
        let state = Mutex((count: 0, until: Date?.none))
    }

    static func at(_ text: String) -> Date { Deployment.slot(from: text)! }

    static func flowRuns(_ project: ServeProject) async throws -> [RunRecord] {
        let store = try SQLiteRunStore(path: project.storePath)
        defer { store.close() }
        return try await store.runs(RunQuery(kind: .flow, tag: "deployment:nightly", limit: .max))
    }

    static func slots(_ runs: [RunRecord], _ state: RunState) -> [String] {
        runs.filter { $0.state == state }.compactMap(\.scheduledFor).sorted().map(Deployment.slotText)
    }

    @Test func restartsACrashAndEditsThroughSpringForwardRunEverySlotOnce() async throws {
        let project = try ServeProject()
        let clock = ManualClock(epoch: Self.at("2026-03-06T00:00:00Z"))

        // Day 1. Serve starts and creates the next three runs ahead (Prefect's minimum), Scheduled.
        var serve = try await Serving(project, clock: clock)
        let ahead = try await Self.flowRuns(project)
        #expect(Self.slots(ahead, .scheduled) == ["2026-03-06T07:30:00Z", "2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z"])
        #expect(ahead.allSatisfy { $0.idempotencyKey == "deployment:nightly@" + Deployment.slotText($0.scheduledFor!) })
        try await serve.advance(to: Self.at("2026-03-06T12:00:00Z"))

        // A restart: the runs created ahead are found again, not made twice.
        try await serve.stop()
        serve = try await Serving(project, clock: clock)
        try await serve.advance(to: Self.at("2026-03-07T12:00:00Z"))
        try await serve.stop()

        // A crash: a serve process died while running the 8 March slot (03:00 EDT, just after the jump).
        clock.advance(by: .seconds(Self.at("2026-03-08T07:01:00Z").timeIntervalSince(clock.date)))
        let store = try SQLiteRunStore(path: project.storePath)
        let victim = try #require(try await store.runs(RunQuery(kind: .flow, state: .scheduled, limit: .max))
            .first { $0.scheduledFor == Self.at("2026-03-08T07:00:00Z") })
        #expect(try await store.takeScheduledRun(id: victim.id, .start(host: ProcessInfo.processInfo.hostName, pid: Int32.max - 1)))
        store.enqueue(.transition(StateRecord(runID: victim.id, state: .running, at: clock.date), attempts: 1))
        try await store.flush()
        store.close()
        clock.advance(by: .seconds(600))
        serve = try await Serving(project, clock: clock)  // finds it Crashed, and runs the slot once more
        try await serve.advance(to: Self.at("2026-03-08T12:00:00Z"))

        // An edit: the deployment moves to 03:00. The runs created ahead for 02:30 are withdrawn, new ones made.
        try project.write(schedule: "cron = \"0 3 * * *\", timezone = \"America/New_York\"")
        try await serve.advance(to: Self.at("2026-03-09T12:00:00Z"))
        // An edit with an error is logged; the last good configuration goes on.
        try "[deployments.nightly]\nflow = 3\n".write(toFile: project.dir + "/sluice.toml", atomically: true, encoding: .utf8)
        try await serve.advance(to: Self.at("2026-03-10T12:00:00Z"))
        try await serve.stop()

        let runs = try await Self.flowRuns(project)
        #expect(Self.slots(runs, .completed) == [
            "2026-03-06T07:30:00Z", "2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T07:00:00Z", "2026-03-10T07:00:00Z",
        ])
        #expect(Self.slots(runs, .crashed) == ["2026-03-08T07:00:00Z"])
        #expect(runs.first { $0.state == .completed && $0.scheduledFor == Self.at("2026-03-08T07:00:00Z") }?.idempotencyKey
                == "deployment:nightly@2026-03-08T07:00:00Z#retry")
        let withdrawn = runs.filter { $0.state == .cancelled }
        #expect(withdrawn.compactMap(\.scheduledFor).map(Deployment.slotText).contains("2026-03-09T06:30:00Z"))
        #expect(withdrawn.allSatisfy { $0.idempotencyKey == nil && $0.startedAt == nil })
        #expect(runs.filter { [.running, .pending, .late, .retrying].contains($0.state) }.isEmpty)
        // Runs created ahead wait for the next serve, one per slot.
        let waiting = runs.filter { $0.state == .scheduled }.compactMap(\.scheduledFor)
        #expect(Set(waiting).count == waiting.count && !waiting.isEmpty)
        #expect(try project.rows() == 10)  // five slots, two rows each: nothing loaded twice
    }

    @Test func afterDowntimeTheNewestMissedSlotRunsAndTheOthersAreLate() async throws {
        let project = try ServeProject()
        let clock = ManualClock(epoch: Self.at("2026-03-06T00:00:00Z"))
        var serve = try await Serving(project, clock: clock)
        try await serve.advance(to: Self.at("2026-03-06T12:00:00Z"))
        try await serve.stop()
        clock.advance(by: .seconds(3 * 86_400))  // down until 9 March 12:00
        serve = try await Serving(project, clock: clock)
        try await serve.stop()
        let runs = try await Self.flowRuns(project)
        #expect(Self.slots(runs, .completed) == ["2026-03-06T07:30:00Z", "2026-03-09T06:30:00Z"])
        #expect(Self.slots(runs, .late) == ["2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z"])
        #expect(try project.rows() == 4)
    }

    @Test(arguments: ["skip", "wait"])
    func aSlotDueWhileTheLastRunRunsIsSkippedOrWaits(policy: String) async throws {
        // Each run takes half a second of real time (a command step); slots come every minute of the manual clock.
        let project = try ServeProject(schedule: "interval = 60", extra: "concurrency = \"\(policy)\"",
                                       flow: "retries = []\ncommand = [\"sleep\", \"0.5\"]")
        let clock = ManualClock(epoch: Self.at("2026-03-06T00:00:30Z"))
        let serve = try await Serving(project, clock: clock)  // runs the 00:00 slot, on time
        clock.advance(by: .seconds(30))  // 00:01:00, the next slot
        try await eventually("the 00:01 run to start") {
            try SQLiteConnection(path: project.storePath).query("SELECT count(*) FROM runs WHERE kind = 'flow' AND state = 'Running'").first?[0] == "1"
        }
        try await clock.waitForSleepers(1)
        try await serve.jump(by: 90)  // 00:02:00 comes while the 00:01 run runs
        try await serve.stop()
        let runs = try await Self.flowRuns(project)
        if policy == "skip" {
            #expect(Self.slots(runs, .completed) == ["2026-03-06T00:00:00Z", "2026-03-06T00:01:00Z"])
            #expect(Self.slots(runs, .cancelled) == ["2026-03-06T00:02:00Z"])
            let skipped = try #require(runs.first { $0.state == .cancelled })
            let store = try SQLiteRunStore(path: project.storePath)
            defer { store.close() }
            #expect(try await store.states(of: skipped.id).last?.message == "skipped: previous run still running")
        } else {
            #expect(Self.slots(runs, .completed) == ["2026-03-06T00:00:00Z", "2026-03-06T00:01:00Z", "2026-03-06T00:02:00Z"])
        }
    }
}
