import Flows
import Foundation
import PipelineCore
import Pipelines
import Sources

/// Runs deployments in the foreground: one now (`sluice deployment run NAME`), or every slot that came
/// due since the last one handled (`sluice deployment run --due`, the scheduled CI job).
///
/// The newest slot handled is kept in the pipeline state in the destination (``Source/claims``), written
/// in the same transaction as the slot's rows. A fresh CI machine with no `.sluice/` reads it there, so a
/// frequent job neither misses nor repeats a slot, and two jobs that start at once run each slot once:
/// the second finds the slot claimed (before extracting, or at its commit) and skips it.
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

    /// Runs every due slot of every deployment (or of `only`), oldest first, at `now`.
    public func runDue(only: String? = nil, now: Date) async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        if let only { _ = try project.deployment(only) }  // a typo is an error, not "nothing due" forever
        for deployment in try project.deployments() where only == nil || deployment.name == only {
            let plan = SlotPlan(schedules: deployment.activeSchedules, last: try await lastSlot(deployment), now: now,
                                catchUp: deployment.catchUp, lateAfter: deployment.lateAfter)
            if deployment.paused || pausedByCommand.contains(deployment.name) {
                // As Prefect: no runs while paused, and none of them waiting to run or be recorded Late on resume.
                if let newest = plan.newest { try await claimWithoutRunning(deployment, slot: newest) }
                outcomes.append(Outcome(deployment: deployment.name, kind: .paused))
                continue
            }
            for slot in plan.missed {
                recordMissed(deployment, slot: slot.at, now: now)
                outcomes.append(Outcome(deployment: deployment.name, slot: slot.at, kind: .missed, state: .late))
            }
            if plan.run.isEmpty, let newest = plan.newest {
                // Only missed slots: claim the newest so the next plan starts after them.
                try await claimWithoutRunning(deployment, slot: newest)
            }
            var deploymentRunner = runner
            deploymentRunner.configuration.lateAfter = .seconds(deployment.lateAfter)
            let flow = try PipelineFlows.named(deployment.flow, project)
            for slot in plan.run {
                let run = try await flow.run(deploymentRunner, arguments: deployment.arguments(for: slot), scheduledFor: slot.at,
                                             tags: [deployment.tag])
                let error = run.error.map(describe)
                let claimed = run.state == .completed && (run.value ?? nil)?.contains("\"already_run\":true") == true
                outcomes.append(Outcome(deployment: deployment.name, slot: slot.at, kind: claimed ? .alreadyRun : .ran, runID: run.id,
                                        state: run.state, error: error))
            }
        }
        try await runner.store.flush()
        return outcomes
    }

    /// A missed slot in the run history: a flow run of the deployment, Late, that did not run.
    private func recordMissed(_ deployment: Deployment, slot: Date, now: Date) {
        let id = UUID().uuidString.lowercased()
        // No process is recorded: the run is not running anywhere, so no sweep marks it Crashed.
        let reason = "missed: due \(Deployment.slotText(slot)), more than \(Int(deployment.lateAfter)) s before \(Deployment.slotText(now)); "
            + "not run (catchup = \(deployment.catchUp.rawValue))"
        runner.store.enqueue(.create(RunRecord(
            id: id, kind: .flow, name: deployment.flow, flowRunID: id, state: .late, error: reason, tags: [deployment.tag],
            createdAt: now, scheduledFor: slot)))
        runner.store.enqueue(.transition(StateRecord(runID: id, state: .late, at: now, message: reason), attempts: 0))
    }

    /// Commits the claim of `slot` with no rows, so later plans start after it.
    private func claimWithoutRunning(_ deployment: Deployment, slot: Date) async throws {
        var source = Source(name: deployment.flow, resources: [])
        source.claims[PipelineFlows.PipelineParameters.claimKey(deployment: deployment.name)] = Deployment.slotText(slot)
        do { _ = try await project.pipeline(deployment.flow).run(source) } catch let error as SluiceError where error.code == .alreadyClaimed {}
    }

    private func describe(_ error: any Error) -> String { runner.configuration.redactor.redact("\(error)") }
}

/// Deployments paused with `sluice deployment pause`, kept in `<working directory>/deployments.json`
/// (`{"paused": ["nightly"]}`). On a fresh CI machine that file is gone: pause there with
/// `paused = true` in sluice.toml.
public struct DeploymentPauses: Sendable {
    public let path: String
    public init(workingDirectory: String) { path = workingDirectory + "/deployments.json" }

    private struct File: Codable { var paused: [String] }

    /// The paused deployments; a file that is not this shape is an error naming it.
    public func read() throws -> Set<String> {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        do { return Set(try JSONDecoder().decode(File.self, from: data).paused) } catch {
            throw SluiceError(.configuration, "expected {\"paused\": [names]}: remove the file to resume every deployment", file: path)
        }
    }

    /// Pauses or resumes `name` (atomically replacing the file).
    public func set(_ name: String, paused: Bool) throws {
        var names = try read()
        if paused { names.insert(name) } else { names.remove(name) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let data = try JSONEncoder().encode(File(paused: names.sorted()))
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
