import Flows
import Foundation
import Logging
import PipelineCore
import Pipelines
import Sources

/// Runs deployments: one now (`sluice deployment run NAME`), every slot that came due since the last one
/// handled (`sluice deployment run --due`, the scheduled CI job), and the single steps `sluice serve`'s
/// ``Scheduler`` composes: ``plan(_:now:after:)``, ``run(_:slot:key:)``, ``recordMissed(_:slot:now:)``, ``skip(_:slot:now:)``.
///
/// A slot's run is identified twice over. In the run store it holds the key `deployment:<name>@<slot>`
/// (``Deployment/runKey(_:)``, ``RunStore/schedule(_:)``), so one store never runs a slot twice, whoever
/// asks. In the pipeline state in the destination the newest slot loaded is kept (``Source/claims``), written
/// in the same transaction as the slot's rows: a fresh CI machine with no `.sluice/` reads it there, so a
/// frequent job neither misses nor repeats a slot, and two jobs that start at once run each slot once: the
/// second finds the slot claimed (before extracting, or at its commit) and skips it.
public struct DeploymentRunner: Sendable {
    /// What happened to one slot (or to a run with no slot).
    public struct Outcome: Sendable {
        public enum Kind: String, Sendable {
            /// The flow ran; ``state`` is its final state.
            case ran
            /// The slot was missed and not run (catch-up policy), recorded Late.
            case missed
            /// Another run had claimed the slot already.
            case alreadyRun = "already run"
            /// The deployment is paused.
            case paused
            /// Due while the previous run still ran, with `concurrency = "skip"`: recorded Cancelled.
            case skipped
        }

        public var deployment: String
        public var slot: Date?
        public var kind: Kind
        public var runID: String?
        public var state: RunState?
        public var error: String?

        /// Whether the outcome means a failure (the command exits non-zero).
        public var failed: Bool { kind == .ran && state?.isSuccess != true }
    }

    public let project: Project
    public let runner: FlowRunner
    /// Deployments paused with `sluice deployment pause`, besides those `paused = true` in sluice.toml.
    public var pausedByCommand: Set<String> = []
    /// Where one line is logged when a slot's run starts and one when it ends (`sluice serve`); none when nil.
    public var logger: Logger?

    public init(project: Project, runner: FlowRunner) {
        self.project = project
        self.runner = runner
    }

    /// Runs `deployment`'s flow once, now, with its parameters (no slot is claimed).
    public func runNow(_ deployment: Deployment) async throws -> Outcome {
        let flow = try PipelineFlows.named(deployment.flow, project)
        let run = try await flow.run(runner, arguments: deployment.arguments(for: nil), tags: [deployment.tag])
        return Outcome(deployment: deployment.name, kind: .ran, runID: run.id, state: run.state, error: run.error.map(describe))
    }

    /// The newest slot of `deployment` handled so far, from the pipeline state committed in its destination.
    /// Not from packages still pending: a run killed before its commit left its slot to run again (its
    /// package loads first, and the new extraction then finds the slot claimed, so nothing loads twice).
    public func lastSlot(_ deployment: Deployment) async throws -> Date? {
        let pipeline = try project.pipeline(deployment.flow)
        guard let state = try await pipeline.destination.storedState(pipeline: pipeline.name) else { return nil }
        let claimed = state.resources[Source.stateKey]?.values[PipelineFlows.PipelineParameters.claimKey(deployment: deployment.name)]
        return claimed.flatMap(Deployment.slot(from:))
    }

    /// The slots of `deployment` due at `now`: those after the newest slot its pipeline state holds and after
    /// `checked` (an instant up to which a running scheduler has handled every slot), planned by ``SlotPlan``.
    public func plan(_ deployment: Deployment, now: Date, after checked: Date? = nil) async throws -> SlotPlan {
        let last = [try await lastSlot(deployment), checked].compactMap { $0 }.max()
        return deployment.plan(last: last, now: now)
    }

    /// Runs every due slot of every deployment (or of `only`), oldest first, at `now`.
    public func runDue(only: String? = nil, now: Date) async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        if let only { _ = try project.deployment(only) }  // a typo is an error, not "nothing due" forever
        for deployment in try project.deployments() where only == nil || deployment.name == only {
            let due = try await plan(deployment, now: now)
            if deployment.paused || pausedByCommand.contains(deployment.name) {
                // As Prefect: no runs while paused, and none of them waiting to run or be recorded Late on resume.
                if let newest = due.newest { try await claimWithoutRunning(deployment, slot: newest) }
                outcomes.append(Outcome(deployment: deployment.name, kind: .paused))
                continue
            }
            outcomes += try await handle(deployment, due, now: now)
        }
        try await runner.store.flush()
        return outcomes
    }

    /// Carries out `plan`: its missed slots recorded Late, then its slots run, oldest first. With only missed
    /// slots, the newest is claimed in the pipeline state without rows, so later plans start after them.
    public func handle(_ deployment: Deployment, _ plan: SlotPlan, now: Date) async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for slot in plan.missed {
            if let missed = try await recordMissed(deployment, slot: slot.at, now: now) { outcomes.append(missed) }
        }
        if plan.run.isEmpty, let newest = plan.newest { try await claimWithoutRunning(deployment, slot: newest) }
        for slot in plan.run {
            try Task.checkCancellation()  // a shutdown starts no further slot
            outcomes.append(try await run(deployment, slot: slot))
        }
        return outcomes
    }

    /// Runs `slot` of `deployment` once: as the run created ahead for it when that run is still Scheduled,
    /// else as a new run holding the slot's key (`key`, by default ``Deployment/runKey(_:)``). When the key
    /// holds a run that some process started already (before a restart, say), nothing runs: `.alreadyRun`.
    public func run(_ deployment: Deployment, slot: SlotPlan.Slot, key: String? = nil) async throws -> Outcome {
        let flow = try PipelineFlows.named(deployment.flow, project)
        let arguments = deployment.arguments(for: slot)
        let stored = try await scheduled(deployment, slot: slot.at, key: key, arguments: arguments)
        let (host, pid) = (runner.configuration.host, runner.configuration.pid)
        guard try await runner.store.takeScheduledRun(id: stored.id, .start(host: host, pid: pid)) else {
            // Its run was interrupted (killed: Crashed; shut down: Cancelled) before the slot committed: once more.
            if key == nil, [RunState.crashed, .cancelled].contains(stored.state),
               try await lastSlot(deployment).map({ $0 < slot.at }) ?? true
            {
                return try await run(deployment, slot: slot, key: deployment.retryKey(slot.at))
            }
            return Outcome(deployment: deployment.name, slot: slot.at, kind: .alreadyRun, runID: stored.id, state: stored.state)
        }
        var runner = self.runner
        runner.configuration.lateAfter = .seconds(deployment.lateAfter)
        let line = "deployment \(deployment.name) slot \(Deployment.slotText(slot.at)) run \(stored.id.prefix(8))"
        logger?.info("\(line) started")
        let started = runner.configuration.now()
        let run: FlowRun<String?>
        do {
            run = try await flow.run(runner, arguments: arguments, tags: [deployment.tag], scheduledRun: stored)
        } catch {
            // Parameters the flow does not take: the run ends Failed without starting.
            let message = describe(error)
            runner.store.enqueue(.outcome(runID: stored.id, result: nil, error: message))
            runner.store.enqueue(.transition(StateRecord(runID: stored.id, state: .failed, at: runner.configuration.now(), message: message),
                                             attempts: 0))
            try await runner.store.flush()
            logger?.error("\(line) Failed: \(message)")
            return Outcome(deployment: deployment.name, slot: slot.at, kind: .ran, runID: stored.id, state: .failed, error: message)
        }
        let error = run.error.map(describe)
        let seconds = runner.configuration.now().timeIntervalSince(started)
        logger?.log(level: run.state.isSuccess ? .info : .error,
                    "\(line) \(run.state) in \(String(format: "%.2f", seconds)) s\(error.map { ": \($0)" } ?? "")")
        // Refused because another job claimed the slot first (at extract, or at its commit): it ran, elsewhere.
        // (The pipeline flow completes with `already_run` when its extraction finds the slot claimed.)
        var claimed = (run.error as? SluiceError)?.code == .alreadyClaimed
            || (run.state == .completed && (run.value ?? nil)?.contains("\"already_run\":true") == true)
        if !claimed, !run.state.isSuccess, run.state != .cancelled, let loaded = try? await lastSlot(deployment) { claimed = loaded >= slot.at }
        return Outcome(deployment: deployment.name, slot: slot.at, kind: claimed ? .alreadyRun : .ran, runID: run.id,
                       state: run.state, error: error)
    }

    /// A missed slot in the run history: its run (created ahead, or made now), Late, never run. Nil when the
    /// slot's key already holds a run that started or was recorded (nothing new to record).
    public func recordMissed(_ deployment: Deployment, slot: Date, now: Date) async throws -> Outcome? {
        let message = "missed: due \(Deployment.slotText(slot)), more than \(Int(deployment.lateAfter)) s ago; not run (catchup = \(deployment.catchUp.rawValue))"
        return try await settle(deployment, slot: slot, .miss(at: now, message: message), as: .missed, state: .late)
    }

    /// A slot due while the deployment's previous run still runs, under `concurrency = "skip"` (Prefect's
    /// CANCEL_NEW): its run is recorded Cancelled, "skipped: previous run still running".
    public func skip(_ deployment: Deployment, slot: Date, now: Date) async throws -> Outcome? {
        try await settle(deployment, slot: slot, .skip(at: now, message: "skipped: previous run still running"), as: .skipped, state: .cancelled)
    }

    private func settle(_ deployment: Deployment, slot: Date, _ change: ScheduledRunChange, as kind: Outcome.Kind,
                        state: RunState) async throws -> Outcome? {
        let stored = try await scheduled(deployment, slot: slot, key: nil, arguments: deployment.arguments(for: nil))
        guard try await runner.store.takeScheduledRun(id: stored.id, change) else { return nil }
        logger?.info("deployment \(deployment.name) slot \(Deployment.slotText(slot)) run \(stored.id.prefix(8)) \(state)")
        return Outcome(deployment: deployment.name, slot: slot, kind: kind, runID: stored.id, state: state)
    }

    /// The run the store holds for `slot`'s key: the one created ahead, or one created now, Scheduled.
    private func scheduled(_ deployment: Deployment, slot: Date, key: String?, arguments: [String: String]) async throws -> RunRecord {
        let record = deployment.scheduledRun(slot: slot, key: key, arguments: arguments, now: runner.configuration.now(),
                                             redactor: runner.configuration.redactor)
        guard let stored = try await runner.store.schedule([record]).first else { throw RunStoreError("the run store created no run") }
        return stored
    }

    /// Commits the claim of `slot` with no rows, so later plans start after it.
    private func claimWithoutRunning(_ deployment: Deployment, slot: Date) async throws {
        var source = Source(name: deployment.flow, resources: [])
        source.claims[PipelineFlows.PipelineParameters.claimKey(deployment: deployment.name)] = Deployment.slotText(slot)
        do { _ = try await project.pipeline(deployment.flow).run(source) } catch let error as SluiceError where error.code == .alreadyClaimed {}
    }

    /// Whether a run of `deployment` that a dead process left (Crashed) or a shutdown cancelled is run again:
    /// when its flow retries (`[pipelines.<flow>.flow] retries`, by default `[10, 30, 90]`; `retries = []` says no).
    public func retriesInterruptedRuns(_ deployment: Deployment) -> Bool {
        guard let section = try? PipelineFlows.section(deployment.flow, project.config) else { return false }
        return !(section.retries ?? RetryPolicy.pipelineDefault.delays).isEmpty
    }

    private func describe(_ error: any Error) -> String {
        error is CancellationError ? "cancelled (a signal stopped it)" : runner.configuration.redactor.redact("\(error)")
    }
}
