import Flows
import Foundation

extension SchedulerLoop {
    /// Brings a deployment's runs created ahead in line with sluice.toml at `now`: withdraws those whose slot
    /// its active schedules no longer have (an edit), all of them when it is paused or gone, and the past ones
    /// a pass left untaken (another process, a CI job, ran the slot); then creates the missing ones ahead.
    mutating func reconcile(_ name: String, now time: Date) async {
        var list = scheduled[name] ?? [:]
        let store = scheduler.store
        func withdraw(_ run: RunRecord, _ why: String) async {
            do {
                if try await store.takeScheduledRun(id: run.id, .withdraw(at: time, message: "withdrawn: \(why)")) {
                    logger.info("deployment \(name) slot \(run.scheduledFor.map(Deployment.slotText) ?? "?") run \(run.id.prefix(8)) withdrawn: \(why)")
                }
                list[run.scheduledFor ?? time] = nil
            } catch {
                logger.error("deployment \(name): cannot withdraw run \(run.id.prefix(8)): \(error)")
            }
        }
        guard let deployment = deployments[name], isActive(name) else {
            let why = deployments[name] == nil ? "the deployment is no longer in sluice.toml" : "the deployment is paused"
            for run in list.values.sorted(by: { $0.createdAt < $1.createdAt }) { await withdraw(run, why) }
            scheduled[name] = list.isEmpty ? nil : list
            return
        }
        for (slot, run) in list.sorted(by: { $0.key < $1.key }) {
            if slot > time {
                if deployment.slot(at: slot) == nil { await withdraw(run, "its schedule changed and no longer has this slot") }
            } else if running[name] == nil, let through = checked[name], slot <= through {
                await withdraw(run, "the slot was handled already (the pipeline state holds a newer slot)")
            }
        }
        let config = scheduler.configuration
        let wanted = deployment.slotsAhead(after: time, minimumCount: config.minimumRunsAhead, minimumSpan: config.minimumTimeAhead,
                                           maximumCount: config.maximumRunsAhead).filter { list[$0.at] == nil }
        if !wanted.isEmpty {
            let redactor = runner.runner.configuration.redactor
            let records = wanted.map { deployment.scheduledRun(slot: $0.at, arguments: deployment.arguments(for: $0), now: time, redactor: redactor) }
            do {
                for run in try await store.schedule(records) where run.state == .scheduled && run.pid == nil {
                    if let slot = run.scheduledFor { list[slot] = run }
                }
            } catch {
                logger.error("deployment \(name): cannot create its next runs: \(error)")
            }
        }
        scheduled[name] = list.isEmpty ? nil : list
    }

    /// Finds the deployments' slots whose run was interrupted: Crashed (its process died) or Cancelled after it
    /// started (a shutdown). Each runs once more in its deployment's first pass (key `...#retry`) when the
    /// deployment's flow retries, the slot is still a slot, and it is no more than `late_after` old.
    mutating func findInterrupted(_ crashed: [RunRecord]) async throws {
        let cancelled = try await scheduler.store.runs(RunQuery(kind: .flow, state: .cancelled, limit: 1000)).filter { $0.startedAt != nil }
        let time = now
        for run in crashed + cancelled {
            guard let key = run.idempotencyKey, !key.hasSuffix("#retry"), let slot = run.scheduledFor, let name = Self.deployment(of: run),
                  let deployment = deployments[name], isActive(name), runner.retriesInterruptedRuns(deployment),
                  time.timeIntervalSince(slot) <= deployment.lateAfter, deployment.slot(at: slot) != nil,
                  !(retries[name] ?? []).contains(slot)
            else { continue }
            retries[name, default: []].append(slot)
            logger.info("deployment \(name) slot \(Deployment.slotText(slot)): run \(run.id.prefix(8)) ended \(run.state) when interrupted; it runs once more")
        }
        for name in retries.keys { retries[name]?.sort() }
    }
}
