import Foundation

/// Reading the text of a rule: DTSTART and RRULE lines, each part checked and named in errors.
extension RRuleSchedule {
    static let weekdayCodes = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]

    /// Parses `text` (see ``RRuleSchedule``). `timeZone` is the zone of a DTSTART with no TZID (UTC when nil);
    /// a TZID wins. Throws a ``ScheduleError`` naming the part (`FREQ`, `BYDAY`, `DTSTART`...) and its value.
    public init(_ text: String, timeZone: TimeZone? = nil) throws {
        func fail(_ field: String, _ token: String, _ reason: String) -> ScheduleError {
            ScheduleError(field: field, token: token, reason: reason, expression: text)
        }
        var startText: String?
        var zone = timeZone ?? TimeZone(identifier: "UTC") ?? .current
        var ruleText: String?
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == " " || $0 == "\t" }).map(String.init) {
            let upper = line.uppercased()
            if upper.hasPrefix("DTSTART") {
                guard startText == nil else { throw fail("DTSTART", line, "is given twice") }
                guard let colon = line.lastIndex(of: ":") else { throw fail("DTSTART", line, "has no ':' before its date") }
                for parameter in line[..<colon].split(separator: ";").dropFirst() {
                    let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                    if pair.count == 2, pair[0].uppercased() == "TZID" {
                        zone = try ScheduleTime.zone(pair[1], expression: text)
                    } else if pair.count == 2, pair[0].uppercased() == "VALUE" {
                        continue
                    } else {
                        throw fail("DTSTART", String(parameter), "is not a DTSTART parameter (TZID=Zone is)")
                    }
                }
                startText = String(line[line.index(after: colon)...])
            } else if upper.hasPrefix("RRULE:") || upper.hasPrefix("FREQ=") {
                guard ruleText == nil else { throw fail("RRULE", line, "is given twice (one rule per schedule)") }
                ruleText = upper.hasPrefix("RRULE:") ? String(line.dropFirst(6)) : line
            } else {
                let name = String(upper.prefix { $0 != ":" && $0 != ";" })
                throw fail(name.isEmpty ? "line" : name, line, "is not supported (a schedule has a DTSTART and one RRULE)")
            }
        }
        guard let startText else { throw fail("DTSTART", "", "is missing: write DTSTART;TZID=Zone:20240101T090000 before the RRULE") }
        guard let ruleText else { throw fail("RRULE", "", "is missing: write RRULE:FREQ=... after the DTSTART") }
        let start = try Self.localTime(startText, zone: zone, field: "DTSTART", fail)

        var parts: [String: String] = [:]
        for part in ruleText.split(separator: ";").map(String.init) {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[1].isEmpty else { throw fail("RRULE", part, "is not NAME=VALUE") }
            let name = pair[0].uppercased()
            let known = ["FREQ", "INTERVAL", "COUNT", "UNTIL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYHOUR", "BYMINUTE", "BYSETPOS", "WKST"]
            guard known.contains(name) else {
                let unsupported = ["BYSECOND", "BYYEARDAY", "BYWEEKNO", "BYEASTER", "RDATE", "EXDATE"].contains(name)
                throw fail(name, part, unsupported ? "is not supported (parts read: \(known.joined(separator: ", ")))"
                                                   : "is not an RRULE part (parts read: \(known.joined(separator: ", ")))")
            }
            guard parts[name] == nil else { throw fail(name, part, "is given twice") }
            parts[name] = pair[1]
        }
        guard let freqText = parts["FREQ"] else { throw fail("FREQ", "", "is missing (MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY)") }
        guard let frequency = Frequency(rawValue: freqText.uppercased()) else {
            throw fail("FREQ", freqText, "is not MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY")
        }
        func numbers(_ name: String, _ range: ClosedRange<Int>, zero: Bool = true) throws -> [Int] {
            guard let value = parts[name] else { return [] }
            return try value.split(separator: ",", omittingEmptySubsequences: false).map { token in
                guard let n = Int(token), range.contains(n), zero || n != 0 else {
                    throw fail(name, String(token), "is not a number in \(range.lowerBound)...\(range.upperBound)\(zero ? "" : ", not 0")")
                }
                return n
            }
        }
        let interval = try numbers("INTERVAL", 1...100_000).first ?? 1
        let count = try numbers("COUNT", 1...1_000_000).first
        if parts["COUNT"] != nil, parts["UNTIL"] != nil { throw fail("COUNT", parts["COUNT"] ?? "", "and UNTIL cannot both be given (RFC 5545)") }
        var until: Date?
        if let untilText = parts["UNTIL"] {
            let local = try Self.localTime(untilText, zone: zone, field: "UNTIL", fail)
            until = Date(timeIntervalSince1970: TimeInterval(untilText.uppercased().hasSuffix("Z") ? local.utc : ZoneClock(zone: zone).firstInstant(local.wall)))
        }
        var byDay: [WeekdayRule] = []
        if let days = parts["BYDAY"] {
            for token in days.split(separator: ",", omittingEmptySubsequences: false).map({ String($0).uppercased() }) {
                guard token.count >= 2, let weekday = Self.weekdayCodes.firstIndex(of: String(token.suffix(2))) else {
                    throw fail("BYDAY", token, "is not a weekday (MO, TU, WE, TH, FR, SA, SU, with a position such as 1MO or -1FR)")
                }
                let prefix = token.dropLast(2)
                var position: Int?
                if !prefix.isEmpty {
                    guard let n = Int(prefix.hasPrefix("+") ? String(prefix.dropFirst()) : String(prefix)), n != 0, abs(n) <= 53 else {
                        throw fail("BYDAY", token, "has a position that is not 1...53 or -53...-1")
                    }
                    guard frequency == .monthly || frequency == .yearly else {
                        throw fail("BYDAY", token, "has a position, which only FREQ=MONTHLY or FREQ=YEARLY allows")
                    }
                    guard frequency == .yearly || abs(n) <= 5 else { throw fail("BYDAY", token, "has a position past the 5th in a month") }
                    position = n
                }
                byDay.append(WeekdayRule(weekday: weekday, position: position))
            }
        }
        let weekStart: Int
        if let wkst = parts["WKST"] {
            guard let index = Self.weekdayCodes.firstIndex(of: wkst.uppercased()) else { throw fail("WKST", wkst, "is not a weekday (MO ... SU)") }
            weekStart = index
        } else {
            weekStart = 1
        }
        self.text = text
        self.timeZone = zone
        self.frequency = frequency
        self.interval = interval
        self.count = count
        self.until = until
        self.start = start.wall
        self.byMonth = try numbers("BYMONTH", 1...12)
        self.byMonthDay = try numbers("BYMONTHDAY", -31...31, zero: false)
        self.byDay = byDay
        self.byHour = try numbers("BYHOUR", 0...23)
        self.byMinute = try numbers("BYMINUTE", 0...59)
        self.bySetPos = try numbers("BYSETPOS", -366...366, zero: false)
        self.weekStart = weekStart
        if frequency == .weekly, !byMonthDay.isEmpty { throw fail("BYMONTHDAY", parts["BYMONTHDAY"] ?? "", "cannot go with FREQ=WEEKLY (RFC 5545)") }
        guard expand(from: nil, { _ in false }) > 0 else {
            throw fail("RRULE", ruleText, "never has an occurrence (after DTSTART and before UNTIL)")
        }
    }

    /// A DATE-TIME (`20240101T090000`, `...Z`) or DATE (`20240101`, midnight): its wall time in `zone`,
    /// and for a UTC value the instant it names.
    static func localTime(_ text: String, zone: TimeZone, field: String,
                          _ fail: (String, String, String) -> ScheduleError) throws -> (wall: Int, utc: Int) {
        let chars = Array(text.uppercased())
        func number(_ from: Int, _ length: Int) -> Int? {
            guard chars.count >= from + length, chars[from..<from + length].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(String(chars[from..<from + length]))
        }
        let bad = fail(field, text, "is not a date-time like 20240101T090000 (or ...Z for UTC)")
        guard let year = number(0, 4), let month = number(4, 2), let day = number(6, 2), (1...12).contains(month),
              (1...Civil.daysInMonth(year, month)).contains(day) else { throw bad }
        var (hour, minute, second) = (0, 0, 0)
        let isUTC = chars.last == "Z"
        let length = chars.count - (isUTC ? 1 : 0)
        if length == 8 {
            // A DATE: midnight, as dateutil reads it.
        } else if length == 15, chars[8] == "T", let h = number(9, 2), let m = number(11, 2), let s = number(13, 2), h < 24, m < 60, s < 60 {
            (hour, minute, second) = (h, m, s)
        } else {
            throw bad
        }
        let local = Civil.seconds(year, month, day, hour, minute, second)
        return isUTC ? (ZoneClock(zone: zone).wall(local), local) : (local, ZoneClock(zone: zone).firstInstant(local))
    }
}
