import Foundation

/// A 5-field cron schedule in an IANA time zone: `minute hour day-of-month month day-of-week`.
///
/// Syntax (as Vixie cron, with the extensions croniter and Prefect users rely on):
/// - each field is `*`, a value, a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (from `a` to the end),
///   or a comma-separated list of these; months and weekdays take names (`JAN`, `mon`); weekday 0 and
///   7 are both Sunday; `?` means `*` in the two day fields;
/// - day of month `L`: the last day of the month; day of week `5#2`: the second Friday of the month,
///   `5L`: the last Friday of the month;
/// - `@hourly`, `@daily`, `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually`.
///
/// When both day fields are restricted (neither starts with `*` or `?`), a day matches if *either*
/// matches (Vixie cron's rule): `0 0 1 * MON` fires on the 1st and on every Monday. A 6-field (seconds)
/// or 7-field (Quartz) expression is an error, as is one that can never fire (`0 0 30 2 *`).
///
/// Daylight saving time follows Vixie cron:
/// - a job with a fixed minute and hour (neither field starts with `*`) whose wall time is skipped
///   when clocks go forward fires once, at the instant of the jump (02:30 on spring-forward day in
///   New York fires at 03:00 EDT); when a wall time occurs twice it fires only the first time;
/// - a job whose minute or hour field starts with `*` (`*/15 * * * *`, `0 * * * *`, `@hourly`) follows
///   elapsed time: it fires at every wall time that occurs, both times in a repeated hour and not at
///   all in a skipped one, so `0 * * * *` fires every real hour through both changes.
///
/// Fire times are whole minutes of the zone's wall clock, strictly after the instant asked about.
public struct CronSchedule: Schedule {
    /// The expression as written.
    public let expression: String
    public let timeZone: TimeZone
    /// True when the minute or hour field starts with `*`: the job follows elapsed time through DST changes.
    public let followsElapsedTime: Bool

    let minutes: UInt64, hours: UInt64, daysOfMonth: UInt64, months: UInt64, weekdays: UInt64
    let lastDayOfMonth: Bool
    let nthWeekdays: UInt64
    let lastWeekdays: UInt8
    let dayOfMonthStar: Bool, dayOfWeekStar: Bool
    let fields: [String]

    /// Parses `expression` for `timeZone` (UTC by default). Throws a ``ScheduleError`` naming the field
    /// (`minute`, `hour`, `day of month`, `month`, `day of week`) and the token at fault.
    public init(_ expression: String, timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current) throws {
        let fields = try Self.fields(of: expression)
        let minute = try Self.parse(fields[0], .minute, expression: expression)
        let hour = try Self.parse(fields[1], .hour, expression: expression)
        let dom = try Self.parse(fields[2], .dayOfMonth, expression: expression)
        let month = try Self.parse(fields[3], .month, expression: expression)
        let dow = try Self.parse(fields[4], .dayOfWeek, expression: expression)
        self.expression = expression
        self.timeZone = timeZone
        self.fields = fields
        (minutes, hours, daysOfMonth, months, weekdays) = (minute.bits, hour.bits, dom.bits, month.bits, dow.bits)
        lastDayOfMonth = dom.last
        nthWeekdays = dow.nth
        lastWeekdays = dow.lastWeekdays
        dayOfMonthStar = dom.star
        dayOfWeekStar = dow.star
        followsElapsedTime = minute.star || hour.star
        guard canFire else {
            throw ScheduleError(field: dayOfWeekStar ? "day of month" : "day of month and day of week",
                                token: dayOfWeekStar ? fields[2] : fields[2] + " " + fields[4],
                                reason: "never falls on a date of month '\(fields[3])', so the schedule would never fire",
                                expression: expression)
        }
    }

    /// Parses `expression` in the zone named `timeZone` (an IANA name such as `Europe/Berlin`).
    public init(_ expression: String, timeZone identifier: String) throws {
        try self.init(expression, timeZone: try ScheduleTime.zone(identifier, expression: expression))
    }

    public func next(after instant: Date) -> Date? {
        let t = Civil.instant(instant)
        let clock = ZoneClock(zone: timeZone)
        // When clocks go back within a few hours, the second pass of the repeated hour can hold the next
        // fire time though its wall time is before ours: start that much earlier on the wall clock.
        let back = max(0, clock.offset(t) - clock.offset(t + 4 * 3600))
        var local = clock.wall(t) - back
        var best: Int?
        while let wall = nextMatch(from: local) {
            switch clock.resolve(wall) {
            case .unique(let at):
                if at > t { return Self.date(min(best ?? at, at)) }
            case .repeated(let first, let second):
                if first > t { return Self.date(min(best ?? first, first)) }
                if followsElapsedTime, second > t { best = min(best ?? second, second) }
            case .skipped(let jump):
                if !followsElapsedTime, jump > t { return Self.date(min(best ?? jump, jump)) }
                if let found = best, jump > t, found <= jump { return Self.date(found) }
            }
            local = wall + 60
        }
        return best.map(Self.date)
    }

    private static func date(_ seconds: Int) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }

    /// The first wall time (local seconds, whole minute) at or after `local` that the fields match,
    /// skipping whole months, days and hours that cannot match; nil past 400 years on (the calendar's
    /// full cycle, so an expression that can fire at all fires within it) or past the year 9999.
    func nextMatch(from local: Int) -> Int? {
        let f = Civil.fields(local + 59)   // round up to a whole minute
        var (year, month, day, hour, minute) = (f.year, f.month, f.day, f.hour, f.minute)
        let lastYear = min(year + 400, 9999)
        while year <= lastYear {
            if months & (1 << UInt64(month)) == 0 {
                (day, hour, minute) = (1, 0, 0)
                if let nextMonth = Self.lowest(months, from: month + 1), nextMonth <= 12 {
                    month = nextMonth
                } else {
                    (year, month) = (year + 1, Self.lowest(months, from: 1) ?? 1)
                }
                continue
            }
            if day > Civil.daysInMonth(year, month) {
                (day, hour, minute) = (1, 0, 0)
                month += 1
                if month > 12 { (year, month) = (year + 1, 1) }
                continue
            }
            if !dayMatches(year, month, day) {
                (day, hour, minute) = (day + 1, 0, 0)
                continue
            }
            guard let h = Self.lowest(hours, from: hour), h <= 23 else {
                (day, hour, minute) = (day + 1, 0, 0)
                continue
            }
            if h != hour { (hour, minute) = (h, 0) }
            guard let m = Self.lowest(minutes, from: minute), m <= 59 else {
                (hour, minute) = (hour + 1, 0)
                if hour > 23 { (day, hour) = (day + 1, 0) }
                continue
            }
            return Civil.seconds(year, month, day, hour, m)
        }
        return nil
    }

    /// Whether the day fields match a date: Vixie's rule, either when both are restricted, both otherwise.
    func dayMatches(_ year: Int, _ month: Int, _ day: Int) -> Bool {
        let length = Civil.daysInMonth(year, month)
        let weekday = Civil.weekday(Civil.days(year, month, day))
        let byMonthDay = daysOfMonth & (1 << UInt64(day)) != 0 || (lastDayOfMonth && day == length)
        let byWeekday = weekdays & (1 << UInt64(weekday)) != 0
            || nthWeekdays & (1 << UInt64(weekday * 5 + (day - 1) / 7)) != 0
            || (lastWeekdays & (1 << UInt8(weekday)) != 0 && day + 7 > length)
        if dayOfMonthStar || dayOfWeekStar { return byMonthDay && byWeekday }
        return byMonthDay || byWeekday
    }

    /// Whether some date in the 400-year Gregorian cycle (which repeats weekdays exactly) matches.
    var canFire: Bool {
        for year in 2000..<2400 {
            for month in 1...12 where months & (1 << UInt64(month)) != 0 {
                for day in 1...Civil.daysInMonth(year, month) where dayMatches(year, month, day) { return true }
            }
        }
        return false
    }

    /// The lowest bit set at or above `from`.
    static func lowest(_ bits: UInt64, from: Int) -> Int? {
        guard from < 64 else { return nil }
        let masked = bits & ~((UInt64(1) << UInt64(from)) &- 1)
        return masked == 0 ? nil : masked.trailingZeroBitCount
    }
}
