/// A rule in words: "every month on the last Friday at 09:00, from 2026-01-30, Europe/Berlin".
extension RRuleSchedule {
    public var summary: String {
        let units: [Frequency: String] = [.yearly: "year", .monthly: "month", .weekly: "week", .daily: "day", .hourly: "hour", .minutely: "minute"]
        let unit = units[frequency] ?? "period"
        var words = interval == 1 ? "every \(unit)" : "every \(interval) \(unit)s"
        let ordinals = ["first", "second", "third", "fourth", "fifth"]
        func position(_ n: Int) -> String {
            if n == -1 { return "the last" }
            if n < 0 { return "the \(-n)\(Self.suffix(-n)) last" }
            return n <= 5 ? "the \(ordinals[n - 1])" : "the \(n)\(Self.suffix(n))"
        }
        if !byDay.isEmpty {
            words += " on " + CronSchedule.list(byDay.map { rule in
                let name = CronSchedule.weekdayName(String(rule.weekday))
                return rule.position.map { position($0) + " " + name } ?? name
            })
        }
        if !byMonthDay.isEmpty {
            words += " on " + CronSchedule.list(byMonthDay.map { $0 > 0 ? "day \($0)" : position($0) + " day" }) + " of the month"
        }
        if !byMonth.isEmpty { words += " in " + CronSchedule.list(byMonth.map { CronSchedule.monthName(String($0)) }) }
        let startFields = Civil.fields(start)
        switch frequency {
        case .yearly, .monthly, .weekly, .daily:
            let hours = byHour.isEmpty ? [startFields.hour] : byHour
            let minutes = byMinute.isEmpty ? [startFields.minute] : byMinute
            let times = hours.flatMap { h in minutes.map { ScheduleTime.pad(h) + ":" + ScheduleTime.pad($0) } }
            words += " at " + CronSchedule.list(times.count > 6 ? Array(times.prefix(5)) + ["..."] : times)
        case .hourly, .minutely:
            if !byHour.isEmpty { words += " of hours " + CronSchedule.list(byHour.map(String.init)) }
            if frequency == .hourly { words += " at minute " + CronSchedule.list((byMinute.isEmpty ? [startFields.minute] : byMinute).map(String.init)) }
            else if !byMinute.isEmpty { words += " at minutes " + CronSchedule.list(byMinute.map(String.init)) }
        }
        if !bySetPos.isEmpty { words += " (positions " + bySetPos.map(String.init).joined(separator: ", ") + " of each \(unit))" }
        words += ", from " + ScheduleTime.format(startDate, in: timeZone)
        if let count { words += ", \(count) time\(count == 1 ? "" : "s")" }
        if let until { words += ", until " + ScheduleTime.format(until, in: timeZone) }
        return words + ", " + ScheduleTime.name(of: timeZone)
    }

    private static func suffix(_ n: Int) -> String {
        if (11...13).contains(n % 100) { return "th" }
        switch n % 10 {
        case 1: return "st"
        case 2: return "nd"
        case 3: return "rd"
        default: return "th"
        }
    }
}
