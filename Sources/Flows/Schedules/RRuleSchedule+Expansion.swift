/// Expanding a rule into occurrences, period by period (a year, month, week, day, hour or minute),
/// in the order RFC 5545 gives: BYMONTH, BYMONTHDAY, BYDAY, BYHOUR, BYMINUTE expand or limit the period,
/// BYSETPOS picks among the period's set, then DTSTART, UNTIL and COUNT bound the series.
extension RRuleSchedule {
    /// Calls `body` with each occurrence (an instant, seconds since 1970 UTC) in order until it returns
    /// false or the series ends. `from` (an instant) lets a series without COUNT start near it rather
    /// than at DTSTART. Stops after 400 years of periods without an occurrence. Returns how many it gave.
    @discardableResult
    func expand(from: Int?, _ body: (Int) -> Bool) -> Int {
        let clock = ZoneClock(zone: timeZone)
        let untilInstant = until.map(Civil.instant)
        var period = 0
        if let from {
            let wall = clock.wall(from)
            period = max(0, (index(of: wall) - index(of: start)) / interval - 1)
        }
        var given = 0
        var last = Int.min
        let horizon = 400 * 366 * 86_400
        var lastFound = period == 0 ? start : periodStart(period)
        while true {
            let begin = periodStart(period)
            if begin > Civil.latest || begin - lastFound > horizon { return given }
            if let skipTo = skip(period: period, begin: begin) {
                period = skipTo
                continue
            }
            for wall in occurrences(in: period, begin: begin) where wall >= start {
                let instant = clock.firstInstant(wall)
                if instant <= last { continue }   // two skipped wall times that share a jump
                if let untilInstant, instant > untilInstant { return given }
                last = instant
                lastFound = wall
                given += 1
                if !body(instant) { return given }
                if let count, given >= count { return given }
            }
            period += 1
        }
    }

    /// The period's unit count from the epoch: years, months, weeks (from WKST), days, hours, minutes.
    func index(of local: Int) -> Int {
        let day = Civil.floorDiv(local, 86_400)
        switch frequency {
        case .yearly: return Civil.date(day).year
        case .monthly: let d = Civil.date(day); return d.year * 12 + d.month - 1
        case .weekly: return Civil.floorDiv(day - (Civil.weekday(day) - weekStart + 7) % 7 - weekAnchor, 7)
        case .daily: return day
        case .hourly: return Civil.floorDiv(local, 3600)
        case .minutely: return Civil.floorDiv(local, 60)
        }
    }

    /// The wall time the `period`-th period (counted in INTERVALs from DTSTART's) begins.
    func periodStart(_ period: Int) -> Int {
        let first = index(of: start)
        let i = first + period * interval
        switch frequency {
        case .yearly: return Civil.seconds(i, 1, 1, 0, 0)
        case .monthly: return Civil.seconds(Civil.floorDiv(i, 12), i - Civil.floorDiv(i, 12) * 12 + 1, 1, 0, 0)
        case .weekly: return (i * 7 + weekAnchor) * 86_400
        case .daily: return i * 86_400
        case .hourly: return i * 3600
        case .minutely: return i * 60
        }
    }

    /// The first day number (0 ... 6) that falls on WKST: weeks are counted from it.
    private var weekAnchor: Int { ((weekStart - Civil.weekday(0)) % 7 + 7) % 7 }

    /// For HOURLY and MINUTELY: when the period's day (or hour) cannot match, the first period of a
    /// later day (hour) that may, so a rule such as `FREQ=MINUTELY;BYMONTH=12` does not walk every minute.
    func skip(period: Int, begin: Int) -> Int? {
        guard frequency == .hourly || frequency == .minutely else { return nil }
        let day = Civil.floorDiv(begin, 86_400)
        var target: Int?
        if !dayMatches(day, periodFirstDay: nil) {
            target = (day + 1) * 86_400
        } else if frequency == .minutely, !byHour.isEmpty, !byHour.contains(Civil.fields(begin).hour) {
            target = (Civil.floorDiv(begin, 3600) + 1) * 3600
        }
        guard let target else { return nil }
        let unit = frequency == .hourly ? 3600 : 60
        let steps = (target - begin + unit * interval - 1) / (unit * interval)
        return period + max(1, steps)
    }

    /// The wall times of one period, sorted, after BYSETPOS.
    func occurrences(in period: Int, begin: Int) -> [Int] {
        let firstDay = Civil.floorDiv(begin, 86_400)
        var days: [Int]
        switch frequency {
        case .yearly:
            let year = Civil.date(firstDay).year
            days = Array(firstDay..<Civil.days(year + 1, 1, 1))
        case .monthly:
            let d = Civil.date(firstDay)
            days = Array(firstDay..<firstDay + Civil.daysInMonth(d.year, d.month))
        case .weekly: days = Array(firstDay..<firstDay + 7)
        case .daily, .hourly, .minutely: days = [firstDay]
        }
        days = days.filter { dayMatches($0, periodFirstDay: firstDay) }
        var times: [Int]
        switch frequency {
        case .yearly, .monthly, .weekly, .daily:
            let startFields = Civil.fields(start)
            let hours = byHour.isEmpty ? [startFields.hour] : byHour
            let minutes = byMinute.isEmpty ? [startFields.minute] : byMinute
            times = hours.flatMap { h in minutes.map { m in h * 3600 + m * 60 + startFields.second } }
        case .hourly:
            let hour = Civil.fields(begin).hour
            guard byHour.isEmpty || byHour.contains(hour) else { return [] }
            let minutes = byMinute.isEmpty ? [Civil.fields(start).minute] : byMinute
            times = minutes.map { hour * 3600 + $0 * 60 + Civil.fields(start).second }
        case .minutely:
            let f = Civil.fields(begin)
            guard byHour.isEmpty || byHour.contains(f.hour), byMinute.isEmpty || byMinute.contains(f.minute) else { return [] }
            times = [f.hour * 3600 + f.minute * 60 + Civil.fields(start).second]
        }
        var set = days.flatMap { day in times.map { day * 86_400 + $0 } }.sorted()
        if !bySetPos.isEmpty {
            let picked = bySetPos.compactMap { pos -> Int? in
                let i = pos > 0 ? pos - 1 : set.count + pos
                return set.indices.contains(i) ? set[i] : nil
            }
            set = Array(Set(picked)).sorted()
        }
        return set
    }

    /// Whether a day passes BYMONTH, BYMONTHDAY and BYDAY (with DTSTART's defaults when none is given).
    /// Positions in BYDAY count within the month (MONTHLY, or YEARLY with BYMONTH) or the year.
    func dayMatches(_ day: Int, periodFirstDay: Int?) -> Bool {
        let (year, month, dayOfMonth) = Civil.date(day)
        let startDate = Civil.date(Civil.floorDiv(start, 86_400))
        var months = byMonth
        var monthDays = byMonthDay
        var weekdays = byDay
        if byMonthDay.isEmpty, byDay.isEmpty {
            switch frequency {
            case .yearly:
                if months.isEmpty { months = [startDate.month] }
                monthDays = [startDate.day]
            case .monthly: monthDays = [startDate.day]
            case .weekly: weekdays = [WeekdayRule(weekday: Civil.weekday(Civil.floorDiv(start, 86_400)), position: nil)]
            default: break
            }
        }
        if !months.isEmpty, !months.contains(month) { return false }
        let length = Civil.daysInMonth(year, month)
        if !monthDays.isEmpty, !monthDays.contains(where: { $0 > 0 ? $0 == dayOfMonth : length + 1 + $0 == dayOfMonth }) { return false }
        if !weekdays.isEmpty {
            let weekday = Civil.weekday(day)
            let inYear = frequency == .yearly && byMonth.isEmpty
            let (first, span) = inYear ? (Civil.days(year, 1, 1), Civil.isLeap(year) ? 366 : 365) : (Civil.days(year, month, 1), length)
            let position = (day - first) / 7 + 1
            let fromEnd = -((first + span - 1 - day) / 7 + 1)
            let matched = weekdays.contains { rule in
                rule.weekday == weekday && (rule.position == nil || rule.position == position || rule.position == fromEnd)
            }
            if !matched { return false }
        }
        return true
    }
}
