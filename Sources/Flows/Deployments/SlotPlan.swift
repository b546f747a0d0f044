import Foundation

/// What to do after downtime with slots that are past ``SlotPlan/lateAfter`` (Prefect calls this
/// catch-up; cron has none, Airflow's `catchup` is `all`).
public enum CatchUp: String, Sendable, CaseIterable, Codable {
    /// Run the newest missed slot once (when no slot is on time); record the others Late. The default.
    case latest
    /// Run every missed slot, oldest first.
    case all
    /// Run none of them; record them Late.
    case none
}

/// Which slots of a deployment's schedules are due at `now`, and which of them run: a value with no I/O,
/// shared by `sluice serve` and `sluice deployment run --due`.
///
/// A slot is a fire time of any of the schedules. Slots after `last` (the newest slot already handled)
/// and at or before `now` are due. A due slot at most `lateAfter` seconds old is on time and runs; older
/// ones were missed (the scheduler was down, or the CI job did not run) and the ``CatchUp`` policy decides.
/// Two schedules firing at the same instant make one slot (the first schedule's), so a slot runs once.
/// With no `last` (the deployment has never run), only the newest on-time slot runs: a new deployment does
/// not backfill.
public struct SlotPlan: Sendable, Equatable {
    /// One slot: its instant and the index of the schedule it came from.
    public struct Slot: Sendable, Hashable {
        public var at: Date
        public var schedule: Int
        public init(at: Date, schedule: Int) {
            self.at = at
            self.schedule = schedule
        }
    }

    /// Slots to run, oldest first.
    public var run: [Slot]
    /// Slots missed and not run (to be recorded Late), oldest first.
    public var missed: [Slot]
    /// The newest slot handled, run or missed: where the next plan starts (`nil` when nothing was due).
    public var newest: Date? { (run + missed).map(\.at).max() }

    /// How many due slots a plan looks at, at most (the newest ones): a minutely schedule down for a year
    /// does not make half a million runs.
    public static let limit = 10_000

    public init(schedules: [any Schedule], last: Date?, now: Date, catchUp: CatchUp = .latest, lateAfter: TimeInterval) {
        let onTimeFrom = now.addingTimeInterval(-lateAfter)
        let start = last ?? onTimeFrom
        var slots: [Date: Int] = [:]
        if start < now {
            for (index, schedule) in schedules.enumerated() {
                for at in schedule.fires(in: start...now, limit: Self.limit) where slots[at] == nil { slots[at] = index }
            }
        }
        var due = slots.map { Slot(at: $0.key, schedule: $0.value) }.sorted { $0.at < $1.at }.suffix(Self.limit)
        // Never run before: the current slot only, whatever the schedule's pace (no backfill).
        if last == nil { due = due.suffix(1) }
        let onTime = due.filter { $0.at >= onTimeFrom }
        let late = due.filter { $0.at < onTimeFrom }
        switch catchUp {
        case .all:
            run = Array(late) + onTime
            missed = []
        case .latest:
            if onTime.isEmpty, let newest = late.last {
                run = [newest]
                missed = Array(late.dropLast())
            } else {
                run = onTime
                missed = Array(late)
            }
        case .none:
            run = onTime
            missed = Array(late)
        }
    }
}

extension SlotPlan {
    /// The next `count` slots of `schedules` after `instant`, merged and in order (for `sluice deployment ls`).
    public static func upcoming(_ schedules: [any Schedule], after instant: Date, count: Int) -> [Date] {
        Array(Set(schedules.flatMap { $0.next(count, after: instant) }).sorted().prefix(count))
    }

    /// The slots a scheduler creates runs for ahead of time at `instant`, oldest first: the slots after it, at
    /// least `minimumCount` of them and all those within `minimumSpan` seconds, but no more than `maximumCount`.
    /// The defaults are Prefect's scheduler's (`SCHEDULER_MIN_RUNS` 3, `MIN_SCHEDULED_TIME` one hour,
    /// `MAX_RUNS` 100): an hourly deployment has its next 3 runs, a minutely one the next 60, a secondly one 100.
    /// Two schedules firing at one instant make one slot, the first schedule's.
    public static func ahead(_ schedules: [any Schedule], after instant: Date, minimumCount: Int = 3, minimumSpan: TimeInterval = 3600,
                             maximumCount: Int = 100) -> [Slot] {
        let until = instant.addingTimeInterval(minimumSpan)
        var slots: [Date: Int] = [:]
        for (index, schedule) in schedules.enumerated() {
            var cursor = instant
            var count = 0
            while count < maximumCount, let fire = schedule.next(after: cursor), count < minimumCount || fire <= until {
                if slots[fire] == nil { slots[fire] = index }
                cursor = fire
                count += 1
            }
        }
        let merged = slots.map { Slot(at: $0.key, schedule: $0.value) }.sorted { $0.at < $1.at }
        return Array(merged.enumerated().prefix { $0.offset < minimumCount || $0.element.at <= until }.map(\.element).prefix(maximumCount))
    }

    /// The slot at `instant` if it is a fire time of one of `schedules` (the first that fires then), else nil:
    /// whether a run made for that slot still belongs to the schedules after an edit.
    public static func slot(at instant: Date, of schedules: [any Schedule]) -> Slot? {
        let before = instant.addingTimeInterval(-1)
        return schedules.firstIndex { $0.next(after: before) == instant }.map { Slot(at: instant, schedule: $0) }
    }
}
