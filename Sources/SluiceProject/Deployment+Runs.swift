import Flows
import Foundation

extension Deployment {
    /// The key of the run of `slot` in the run store: `deployment:<name>@<slot in UTC>`. A deployment and a slot
    /// make one run; the schedule that made the slot is not part of it, so two schedules firing at one instant
    /// make one run, and an edit that keeps a slot (a schedule reordered, rewritten to the same times) keeps its run.
    public func runKey(_ slot: Date) -> String { "\(tag)@\(Deployment.slotText(slot))" }

    /// The key of the one extra run of `slot` after its run was interrupted (``DeploymentRunner/retriesInterruptedRuns(_:)``).
    public func retryKey(_ slot: Date) -> String { runKey(slot) + "#retry" }

    /// The indices in ``schedules`` of the active ones.
    var activeIndices: [Int] { schedules.indices.filter { schedules[$0].active } }

    /// The ``SlotPlan`` of the active schedules at `now` after `last`, its slots naming their schedule's index in
    /// ``schedules`` (inactive ones included), as ``arguments(for:)`` reads it.
    public func plan(last: Date?, now: Date) -> SlotPlan {
        var plan = SlotPlan(schedules: activeSchedules, last: last, now: now, catchUp: catchUp, lateAfter: lateAfter)
        let indices = activeIndices
        plan.run = plan.run.map { SlotPlan.Slot(at: $0.at, schedule: indices[$0.schedule]) }
        plan.missed = plan.missed.map { SlotPlan.Slot(at: $0.at, schedule: indices[$0.schedule]) }
        return plan
    }

    /// The slots a scheduler creates runs for ahead of `instant` (``SlotPlan/ahead(_:after:minimumCount:minimumSpan:maximumCount:)``),
    /// naming their schedule's index in ``schedules``.
    public func slotsAhead(after instant: Date, minimumCount: Int, minimumSpan: TimeInterval, maximumCount: Int) -> [SlotPlan.Slot] {
        let indices = activeIndices
        return SlotPlan.ahead(activeSchedules, after: instant, minimumCount: minimumCount, minimumSpan: minimumSpan, maximumCount: maximumCount)
            .map { SlotPlan.Slot(at: $0.at, schedule: indices[$0.schedule]) }
    }

    /// The slot at `instant` if it is a fire time of an active schedule (still, after an edit of sluice.toml, say),
    /// naming its schedule's index in ``schedules``.
    public func slot(at instant: Date) -> SlotPlan.Slot? {
        SlotPlan.slot(at: instant, of: activeSchedules).map { SlotPlan.Slot(at: $0.at, schedule: activeIndices[$0.schedule]) }
    }

    /// The first slot strictly after `instant`, if any.
    public func nextSlot(after instant: Date) -> Date? { SlotPlan.upcoming(activeSchedules, after: instant, count: 1).first }

    /// A run of `slot` created ahead of time: Scheduled, holding the slot's key (`key`, by default ``runKey(_:)``),
    /// its parameters as given (JSON of `key=value` texts, secrets masked) until the run starts.
    func scheduledRun(slot: Date, key: String? = nil, arguments: [String: String], now: Date, redactor: Redactor) -> RunRecord {
        let id = UUID().uuidString.lowercased()
        let parameters = (try? JSONSerialization.data(withJSONObject: arguments, options: [.sortedKeys]))
            .map { redactor.redact(String(decoding: $0, as: UTF8.self)) }
        return RunRecord(id: id, kind: .flow, name: flow, flowRunID: id, state: .scheduled, parameters: parameters, tags: [tag],
                         createdAt: now, scheduledFor: slot, idempotencyKey: key ?? runKey(slot))
    }
}
