import Flows
import Foundation
import Logging

/// `sluice serve`'s scheduler: runs every deployment of sluice.toml at its slots, for as long as its task runs.
///
/// On start it marks the runs a dead process left Running as Crashed (``FlowRunner/maintain(retention:)``),
/// then loops: it creates each active deployment's next runs ahead of time as Scheduled runs holding their
/// slot's key (``Deployment/runKey(_:)``; ``SlotPlan/ahead(_:after:minimumCount:minimumSpan:maximumCount:)``
/// says how many, as Prefect's scheduler does), withdraws the Scheduled runs that an edit or a pause took
/// away, and sleeps on its clock until the next slot comes (or ``Configuration/reloadInterval`` passes, to
/// notice an edited sluice.toml). A due deployment's slots are planned and run by ``DeploymentRunner``, exactly
/// as `sluice deployment run --due` does, one run of a deployment at a time. Cancelling the task that runs
/// ``run()`` cancels the running flow runs (recorded Cancelled) and returns.
///
/// ```swift
/// let scheduler = Scheduler(project: Project.Configuration(), store: store) { project in
///     try PipelineFlows.runner(store: store, project: project)
/// }
/// try await scheduler.run()   // until cancelled
/// ```
public struct Scheduler: Sendable {
    public struct Configuration: Sendable {
        /// Sleeps until the next slot. Tests pass a manual clock.
        public var clock: any Clock<Duration> = ContinuousClock()
        /// Wall-clock time: slots are instants of it. Tests pass the manual clock's date.
        public var now: @Sendable () -> Date = { Date() }
        /// Runs created ahead per deployment: at least this many (Prefect's `SCHEDULER_MIN_RUNS`, 3)...
        public var minimumRunsAhead = 3
        /// ...and every slot this many seconds ahead (Prefect's `SCHEDULER_MIN_SCHEDULED_TIME`, one hour)...
        public var minimumTimeAhead: TimeInterval = 3600
        /// ...but never more than this many (Prefect's `SCHEDULER_MAX_RUNS`, 100).
        public var maximumRunsAhead = 100
        /// How often sluice.toml, secrets.toml and the pause file are checked for changes (their modification
        /// time and size); also the longest the scheduler sleeps.
        public var reloadInterval: Duration = .seconds(2)
        /// How long a deployment waits after its slots could not be planned (its destination unreachable, say)
        /// before it tries again.
        public var retryAfterError: TimeInterval = 30
        /// Where the scheduler logs: one line per run start and end, reloads, withdrawn runs, errors.
        public var logger = Logger(label: "sluice.serve")
        /// Called each time the scheduler has nothing running and waits, with the instant it will wake at.
        /// For tests and benchmarks that move time by hand.
        public var onIdle: (@Sendable (Date) -> Void)?

        public init() {}
    }

    /// Where the project's files are; sluice.toml is read again from there when it changes.
    public let project: Project.Configuration
    public let store: any RunStore
    /// Builds the flow runner for a project (its secrets masked, its notifiers): called again after a reload.
    /// Its clock and wall time are replaced by the scheduler's.
    public let makeRunner: @Sendable (Project) throws -> FlowRunner
    public var configuration: Configuration

    public init(project: Project.Configuration, store: any RunStore, configuration: Configuration = Configuration(),
                runner: @escaping @Sendable (Project) throws -> FlowRunner) {
        self.project = project
        self.store = store
        self.configuration = configuration
        self.makeRunner = runner
    }

    /// What ends a wait of the loop.
    enum Event: Sendable {
        /// The clock reached the time the loop slept until.
        case wake
        /// A deployment's pass ended: every slot up to `checked` was handled (nil: it failed with `error`).
        case finished(deployment: String, checked: Date?, runIDs: [String], error: String?)
    }

    /// Runs until the calling task is cancelled; throws only when the project cannot be read at start or the
    /// run store fails at start.
    public func run() async throws {
        var loop = try await SchedulerLoop(self)
        let (clock, now, onIdle) = (configuration.clock, configuration.now, configuration.onIdle)
        await withTaskGroup(of: Event.self) { group in
            // The deadlines of the sleeps under way, earliest first: a pass that ends can bring the next wake
            // forward (its deployment's next slot), and then one more sleep starts.
            var sleeps: [Date] = []
            while !Task.isCancelled {
                await loop.tick(&group)
                let wakeAt = loop.nextWake()
                if sleeps.first.map({ wakeAt < $0 }) ?? true {
                    let sleep = Self.sleep(on: clock, seconds: max(0, wakeAt.timeIntervalSince(now())))
                    group.addTask {
                        await sleep()
                        return .wake
                    }
                    sleeps.insert(wakeAt, at: 0)
                }
                if loop.running.isEmpty { onIdle?(sleeps[0]) }
                guard let event = await group.next() else { break }
                switch event {
                case .wake: sleeps.removeFirst()
                case .finished(let name, let checked, let ids, let error): await loop.finish(name, checked: checked, runIDs: ids, error: error)
                }
            }
            group.cancelAll()
            while let event = await group.next() {
                if case .finished(let name, _, _, let error?) = event, !(error.contains("CancellationError")) {
                    loop.logger.error("deployment \(name): \(error)")
                }
            }
        }
        do { try await store.flush() } catch { configuration.logger.error("the run store could not record the last runs: \(error)") }
        configuration.logger.info("stopped")
    }

    /// A sleep whose deadline is fixed now, on the caller's clock reading (not when the sleeping task starts).
    static func sleep<C: Clock>(on clock: C, seconds: Double) -> @Sendable () async -> Void where C.Duration == Duration {
        let deadline = clock.now.advanced(by: .seconds(seconds))
        return { try? await clock.sleep(until: deadline, tolerance: nil) }
    }
}
