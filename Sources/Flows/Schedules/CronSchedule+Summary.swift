/// A cron expression in words, for `sluice deployment ls` and `sluice cron next`:
/// "at 02:30 every day, Europe/Berlin", "every 15 minutes of hours 9 to 17 on Monday to Friday, UTC".
extension CronSchedule {
    public var summary: String {
        let (minute, hour, dom, month, dow) = (fields[0], fields[1], fields[2], fields[3], fields[4])
        var text = timeWords(minute, hour)
        let domRestricted = !(dom == "*" || dom == "?")
        let dowRestricted = !(dow == "*" || dow == "?")
        let domWords = Self.items(dom, unit: "day", name: { "day \($0)" }) + " of the month"
        let dowWords = Self.items(dow, unit: "weekday", name: Self.weekdayName)
        switch (domRestricted, dowRestricted) {
        case (false, false): if !text.hasPrefix("every") { text += " every day" }
        case (true, false): text += " on " + domWords
        case (false, true): text += " on " + dowWords
        case (true, true):
            text += dayOfMonthStar || dayOfWeekStar ? " on \(domWords) if it is \(dowWords)" : " on \(domWords) or on \(dowWords)"
        }
        if month != "*" { text += " in " + Self.items(month, unit: "month", name: Self.monthName) }
        return text + ", " + ScheduleTime.name(of: timeZone)
    }

    private func timeWords(_ minute: String, _ hour: String) -> String {
        let singleMinute = Int(minute)
        let hourValues = hour.split(separator: ",").map { Int($0) }
        if let m = singleMinute, !hourValues.contains(nil), hourValues.count <= 6 {
            let times = hourValues.compactMap { $0 }.map { ScheduleTime.pad($0) + ":" + ScheduleTime.pad(m) }
            return "at " + Self.list(times)
        }
        let minuteWords: String
        switch minute {
        case "*": minuteWords = "every minute"
        case _ where minute.hasPrefix("*/"): minuteWords = "every \(minute.dropFirst(2)) minutes"
        default: minuteWords = "at " + Self.items(minute, unit: "minute", name: { "minute \($0)" })
        }
        if hour == "*" { return singleMinute != nil ? "every hour at minute \(minute)" : minuteWords }
        return minuteWords + " of " + Self.items(hour, unit: "hour", name: { "hour \($0)" })
    }

    /// A field's items in words: `1-5` "Monday to Friday", `*/2` "every 2nd day", `5#2` "the second Friday".
    static func items(_ field: String, unit: String, name: (String) -> String) -> String {
        let words = field.split(separator: ",").map { raw -> String in
            let item = String(raw).uppercased()
            if item == "L" { return "the last day" }
            if let hash = item.firstIndex(of: "#") {
                let ordinals = ["first", "second", "third", "fourth", "fifth"]
                let n = Int(item[item.index(after: hash)...]) ?? 1
                return "the \(ordinals[max(0, min(4, n - 1))]) " + name(String(item[..<hash]))
            }
            if unit == "weekday", item.count > 1, item.hasSuffix("L") { return "the last " + name(String(item.dropLast())) }
            if unit == "weekday", item.count > 1, item.hasPrefix("L") { return "the last " + name(String(item.dropFirst())) }
            let parts = item.split(separator: "/").map(String.init)
            var base = parts[0]
            var words: String
            if base == "*" || base == "?" {
                words = ""
                base = ""
            } else if let dash = base.firstIndex(of: "-") {
                let high = name(String(base[base.index(after: dash)...]))
                words = name(String(base[..<dash])) + " to " + (high.split(separator: " ").last.map(String.init) ?? high)
            } else {
                words = name(base)
            }
            guard parts.count == 2 else { return words.isEmpty ? "every \(unit)" : words }
            let every = "every \(parts[1]) \(unit)s"
            if base.isEmpty { return every }
            return base.contains("-") ? "\(every) from \(words)" : "\(every) from \(words) on"
        }
        return list(words)
    }

    static func list(_ words: [String]) -> String {
        words.count <= 1 ? words.joined() : words.dropLast().joined(separator: ", ") + " and " + words[words.count - 1]
    }

    static func weekdayName(_ token: String) -> String {
        let names = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        if let n = Int(token) { return names[n % 7] }
        return names.first { $0.uppercased().hasPrefix(token.uppercased()) } ?? token
    }

    static func monthName(_ token: String) -> String {
        let names = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        if let n = Int(token), (1...12).contains(n) { return names[n - 1] }
        return names.first { $0.uppercased().hasPrefix(token.uppercased()) } ?? token
    }
}
