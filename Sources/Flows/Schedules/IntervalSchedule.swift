import Foundation

/// A run every `seconds` from an anchor instant, as Prefect's interval schedule: fire times are
/// `anchor + k * interval` for every whole `k`, before or after the anchor.
///
/// Daylight saving time follows Prefect's documented rule (the `IntervalSchedule` notes in
/// `prefect.server.schemas.schedules`): an interval shorter than a day is elapsed time (an hourly
/// schedule fires every real hour, twice at 01:00 when clocks go back); an interval of a day or more is
/// split into whole days and the rest, and the days are calendar days on the wall clock of
/// ``timeZone``, so a daily schedule anchored at 09:00 stays at 09:00 through DST. Where Prefect
/// leaves it open we pin it as ``CronSchedule`` does: a wall time skipped when clocks go forward fires
/// at the instant of the jump, a repeated one at its first occurrence; and the `k`-th fire time is
/// computed from the anchor (not from the one before), so a skipped hour never shifts later runs.
public struct IntervalSchedule: Schedule {
    /// The interval, in seconds (at least 1).
    public let seconds: Int
    /// The instant the fire times are counted from (to the second).
    public let anchor: Date
    public let timeZone: TimeZone

    /// Throws a ``ScheduleError`` on `interval` when `seconds` is not positive.
    /// `seconds` from 1 second to 100 years; the anchor is kept to the second.
    public init(seconds: Int, anchor: Date, timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current) throws {
        guard (1...100 * 366 * 86_400).contains(seconds) else {
            throw ScheduleError(field: "interval", token: String(seconds), reason: "must be from 1 second to 100 years",
                                expression: "every \(seconds) seconds")
        }
        self.seconds = seconds
        self.anchor = Date(timeIntervalSince1970: TimeInterval(Civil.instant(anchor)))
        self.timeZone = timeZone
    }

    private var anchorSeconds: Int { Int(anchor.timeIntervalSince1970) }

    /// The `k`-th fire time (seconds since 1970 UTC); `k` = 0 is the anchor.
    func fire(_ k: Int) -> Int {
        let days = seconds / 86_400
        guard days > 0 else { return anchorSeconds + k * seconds }
        let clock = ZoneClock(zone: timeZone)
        let wall = clock.wall(anchorSeconds) + k * days * 86_400
        return clock.firstInstant(wall) + k * (seconds - days * 86_400)
    }

    public func next(after instant: Date) -> Date? {
        let t = Civil.instant(instant)
        // Wall-clock days stray from elapsed time by at most the zone's offset change (under a day), so
        // the estimate is at most one step off: start one before it and walk.
        var k = Civil.floorDiv(t - anchorSeconds, seconds) - 1
        while fire(k) <= t { k += 1 }
        let at = fire(k)
        return at > Civil.latest ? nil : Date(timeIntervalSince1970: TimeInterval(at))
    }

    public var summary: String {
        var parts: [String] = []
        var rest = seconds
        for (unit, size) in [("day", 86_400), ("hour", 3600), ("minute", 60), ("second", 1)] where rest >= size {
            let n = rest / size
            rest -= n * size
            parts.append("\(n) \(unit)\(n == 1 ? "" : "s")")
        }
        return "every " + parts.joined(separator: " ") + " from " + ScheduleTime.format(anchor, in: timeZone) + ", " + ScheduleTime.name(of: timeZone)
    }
}
