import Flows
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The state of a running ``Scheduler``, owned by the task that runs it (never shared): the last good
/// project, what each deployment has handled, which deployments run now, and the runs created ahead.
struct SchedulerLoop {
    let scheduler: Scheduler
    var logger: Logger
    var project: Project
    /// The deployments of the last good sluice.toml, by name, and their names in order.
    var deployments: [String: Deployment] = [:]
    var names: [String] = []
    /// Every deployment name seen since start (to tell a resumed deployment from a new one).
    var known: Set<String> = []
    var runner: DeploymentRunner
    /// The modification times and sizes of sluice.toml, secrets.toml and the pause file, as last read.
    var stamps: [FileStamp?] = []
    /// Per deployment: every slot up to this instant was handled by this process (run, missed, skipped, or found handled).
    var checked: [String: Date] = [:]
    /// Per active deployment: when it next has something to do.
    var nextDue: [String: Date] = [:]
    /// Deployments whose pass runs now, with the instant it planned at.
    var running: [String: Date] = [:]
    /// Runs created ahead and not yet taken, by deployment and slot.
    var scheduled: [String: [Date: RunRecord]] = [:]
    /// Slots whose run was interrupted (Crashed, or cancelled by a shutdown) and runs once more, by deployment.
    var retries: [String: [Date]] = [:]

    var now: Date { scheduler.configuration.now() }

    init(_ scheduler: Scheduler) async throws {
        self.scheduler = scheduler
        logger = scheduler.configuration.logger
        let project = try Project.load(scheduler.project)
        self.project = project
        runner = DeploymentRunner(project: project, runner: try Self.flowRunner(scheduler, project))
        try apply(project, deployments: try project.deployments(),
                  paused: try DeploymentPauses(workingDirectory: project.workingDirectory).read(), startup: true)
        stamps = fileStamps()
        let (crashed, _) = try await runner.runner.maintain(retention: PipelineFlows.retention(project.config))
        for run in crashed { logger.warning("run \(run.id.prefix(8)) of \(run.name) was left Running by a process that is gone: Crashed") }
        try await findInterrupted(crashed)
        for run in try await scheduler.store.runs(RunQuery(kind: .flow, state: .scheduled, limit: .max)) {
            guard run.pid == nil, run.idempotencyKey != nil, let slot = run.scheduledFor, let name = Self.deployment(of: run) else { continue }
            scheduled[name, default: [:]][slot] = run
        }
        logger.info("serving \(names.count) deployment\(names.count == 1 ? "" : "s") from \(project.config.path)")
        for name in Set(names).union(scheduled.keys).sorted() { await reconcile(name, now: now) }
    }

    static func flowRunner(_ scheduler: Scheduler, _ project: Project) throws -> FlowRunner {
        var runner = try scheduler.makeRunner(project)
        runner.configuration.clock = scheduler.configuration.clock
        runner.configuration.now = scheduler.configuration.now
        return runner
    }

    /// The deployment a run belongs to, from its `deployment:<name>` tag.
    static func deployment(of run: RunRecord) -> String? {
        run.tags.first { $0.hasPrefix("deployment:") }.map { String($0.dropFirst("deployment:".count)) }
    }

    func isActive(_ name: String) -> Bool {
        guard let d = deployments[name] else { return false }
        return !d.paused && !runner.pausedByCommand.contains(name)
    }

    // MARK: configuration

    /// Takes a newly read project: new deployments get a pass now (as at start), resumed ones start after now
    /// (the slots of a pause are not run), paused and removed ones lose their runs created ahead.
    mutating func apply(_ project: Project, deployments list: [Deployment], paused: Set<String>, startup: Bool) throws {
        let wasActive = Set(names.filter(isActive))
        self.project = project
        var runner = DeploymentRunner(project: project, runner: try Self.flowRunner(scheduler, project))
        runner.pausedByCommand = paused
        runner.logger = logger
        self.runner = runner
        deployments = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        names = list.map(\.name)
        let time = now
        for name in names {
            if !isActive(name) {
                checked[name] = nil
                nextDue[name] = nil
                continue
            }
            if !wasActive.contains(name), known.contains(name), !startup { checked[name] = time }  // resumed
            if running[name] == nil { nextDue[name] = checked[name].map { deployments[name]?.nextSlot(after: $0) } ?? time }
        }
        for name in nextDue.keys where deployments[name] == nil { nextDue[name] = nil }
        known.formUnion(names)
    }

    /// Reads sluice.toml again when it (or secrets.toml, or the pause file) changed; a file with errors is
    /// logged and the last good configuration kept.
    mutating func reloadIfChanged() async {
        let current = fileStamps()
        guard current != stamps else { return }
        stamps = current
        do {
            let project = try Project.load(scheduler.project)
            try apply(project, deployments: try project.deployments(),
                      paused: try DeploymentPauses(workingDirectory: project.workingDirectory).read(), startup: false)
        } catch {
            logger.error("\(error); keeping the last good configuration")
            return
        }
        logger.info("reloaded \(project.config.path): \(names.count) deployment\(names.count == 1 ? "" : "s")")
        let time = now
        for name in Set(names).union(scheduled.keys).sorted() { await reconcile(name, now: time) }
    }

    func fileStamps() -> [FileStamp?] {
        let c = scheduler.project
        return [c.configPath, c.secretsPath, DeploymentPauses(workingDirectory: c.workingDirectory).path].map(FileStamp.init(path:))
    }

    // MARK: the loop

    /// One pass of the loop at the current time: reload, then start the due deployments (or skip their slots).
    mutating func tick(_ group: inout TaskGroup<Scheduler.Event>) async {
        await reloadIfChanged()
        let time = now
        for name in names where isActive(name) {
            guard let due = nextDue[name], due <= time, let deployment = deployments[name] else { continue }
            if running[name] != nil {
                if deployment.concurrency == .skip { await skipDue(deployment, now: time) }
                continue  // wait: its pass starts when the running one ends
            }
            startPass(deployment, now: time, &group)
        }
    }

    /// When the loop next has something to do: a deployment's next slot, or the next check of the files.
    func nextWake() -> Date {
        var wake = now.addingTimeInterval(Double(scheduler.configuration.reloadInterval.components.seconds)
                                          + Double(scheduler.configuration.reloadInterval.components.attoseconds) / 1e18)
        for name in names where isActive(name) {
            guard let due = nextDue[name] else { continue }
            if running[name] != nil, deployments[name]?.concurrency == .wait { continue }
            wake = min(wake, due)
        }
        return wake
    }

    /// Starts a deployment's pass: its interrupted slots once more, then the slots due at `now`, in a child task.
    mutating func startPass(_ deployment: Deployment, now time: Date, _ group: inout TaskGroup<Scheduler.Event>) {
        let name = deployment.name
        running[name] = time
        nextDue[name] = deployment.nextSlot(after: time)
        let (runner, after, again) = (runner, checked[name], retries.removeValue(forKey: name) ?? [])
        group.addTask {
            do {
                var ids: [String] = []
                for slot in again {
                    try Task.checkCancellation()
                    guard let s = deployment.slot(at: slot) else { continue }
                    if let loaded = try await runner.lastSlot(deployment), loaded >= slot {
                        runner.logger?.info("deployment \(name) slot \(Deployment.slotText(slot)): loaded before it was interrupted; not run again")
                        continue
                    }
                    ids.append(contentsOf: [try await runner.run(deployment, slot: s, key: deployment.retryKey(slot)).runID].compactMap { $0 })
                }
                let plan = try await runner.plan(deployment, now: time, after: after)
                let outcomes = try await runner.handle(deployment, plan, now: time)
                return .finished(deployment: name, checked: time, runIDs: ids + outcomes.compactMap(\.runID), error: nil)
            } catch {
                return .finished(deployment: name, checked: nil, runIDs: [], error: "\(error)")
            }
        }
    }

    /// Under `concurrency = "skip"`: the slots that came while the deployment's run still runs are recorded
    /// Cancelled, "skipped: previous run still running".
    mutating func skipDue(_ deployment: Deployment, now time: Date) async {
        let name = deployment.name
        let from = [checked[name], running[name]].compactMap { $0 }.max() ?? time
        guard from < time else { return }
        for slot in Set(deployment.activeSchedules.flatMap { $0.fires(in: from...time, limit: SlotPlan.limit) }).sorted() {
            do {
                _ = try await runner.skip(deployment, slot: slot, now: time)
                scheduled[name]?[slot] = nil
            } catch {
                logger.error("deployment \(name) slot \(Deployment.slotText(slot)): \(error)")
            }
        }
        checked[name] = time
        nextDue[name] = deployment.nextSlot(after: time)
    }

    /// A pass ended: what it handled is recorded, its runs created ahead are refilled.
    mutating func finish(_ name: String, checked passTime: Date?, runIDs: [String], error: String?) async {
        running[name] = nil
        let time = now
        if let passTime {
            let through = max(checked[name] ?? passTime, passTime)
            checked[name] = through
            if isActive(name) { nextDue[name] = deployments[name]?.nextSlot(after: through) }
        } else {
            logger.error("deployment \(name): \(error ?? "failed"); trying again in \(Int(scheduler.configuration.retryAfterError)) s")
            if isActive(name) { nextDue[name] = time.addingTimeInterval(scheduler.configuration.retryAfterError) }
        }
        let taken = Set(runIDs)
        scheduled[name] = scheduled[name]?.filter { !taken.contains($0.value.id) }
        await reconcile(name, now: time)
    }
}

/// A file's modification time and size, to notice an edit without reading it.
struct FileStamp: Equatable {
    var seconds: Int
    var nanoseconds: Int
    var size: Int

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        (seconds, nanoseconds) = (Int(info.st_mtimespec.tv_sec), Int(info.st_mtimespec.tv_nsec))
        #else
        (seconds, nanoseconds) = (Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec))
        #endif
        size = Int(info.st_size)
    }
}
