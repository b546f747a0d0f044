import Foundation

/// A recurrence rule (RFC 5545 RRULE) with its DTSTART, as Prefect's RRuleSchedule and python-dateutil
/// read it:
///
/// ```
/// DTSTART;TZID=America/New_York:20240101T090000
/// RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=10
/// ```
///
/// Parts read: `FREQ` (MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY), `INTERVAL`, `COUNT`, `UNTIL`,
/// `BYMONTH`, `BYMONTHDAY` (negative counts from the month's end), `BYDAY` (`MO`, and with MONTHLY or
/// YEARLY `1MO`, `-1FR`), `BYHOUR`, `BYMINUTE`, `BYSETPOS`, `WKST`. Any other part is an error naming
/// it. DTSTART is required: `DTSTART:20240101T090000Z` (UTC), `DTSTART;TZID=Zone:20240101T090000`, or a
/// floating `DTSTART:20240101T090000` read in the zone given to ``init(_:timeZone:)``. Lines may be
/// separated by a newline or a space; the `RRULE:` prefix may be left out.
///
/// Occurrences are computed on the wall clock of the zone, as RFC 5545 says (a 09:00 rule stays at
/// 09:00 through DST). A wall time skipped when clocks go forward happens at the instant of the jump,
/// and a repeated one at its first occurrence, as ``CronSchedule`` fixes it.
public struct RRuleSchedule: Schedule {
    /// How often the rule repeats.
    public enum Frequency: String, Sendable, Hashable, CaseIterable {
        case yearly = "YEARLY", monthly = "MONTHLY", weekly = "WEEKLY", daily = "DAILY", hourly = "HOURLY", minutely = "MINUTELY"
    }

    /// A `BYDAY` entry: a weekday (0 Sunday ... 6 Saturday), with its position in the month or year (`-1FR`) when given.
    public struct WeekdayRule: Sendable, Hashable {
        public var weekday: Int
        public var position: Int?
    }

    /// The rule text as written.
    public let text: String
    public let timeZone: TimeZone
    public let frequency: Frequency
    public let interval: Int
    public let count: Int?
    /// The last instant an occurrence may have (inclusive).
    public let until: Date?
    /// DTSTART as a wall time in ``timeZone`` (local seconds), the first candidate occurrence.
    let start: Int
    let byMonth: [Int], byMonthDay: [Int], byDay: [WeekdayRule], byHour: [Int], byMinute: [Int], bySetPos: [Int]
    let weekStart: Int

    /// DTSTART as an instant.
    public var startDate: Date { Date(timeIntervalSince1970: TimeInterval(ZoneClock(zone: timeZone).firstInstant(start))) }

    public func next(after instant: Date) -> Date? {
        let t = Civil.instant(instant)
        var found: Int?
        _ = expand(from: count == nil ? t : nil) { occurrence in
            if occurrence > t { found = occurrence; return false }
            return true
        }
        return found.map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }
}
