import Foundation

/// Instants written as ISO 8601 text with their UTC offset, the way `sluice cron next` and
/// `sluice deployment ls` show fire times: `2026-03-08T03:00:00-04:00`.
public enum ScheduleTime {
    /// `instant` on the wall clock of `zone`, to the second, with the zone's UTC offset at that
    /// instant (`+00:00` for UTC, `+10:30` for Lord Howe in winter).
    public static func format(_ instant: Date, in zone: TimeZone) -> String {
        let seconds = Civil.instant(instant)
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
        let f = Civil.fields(seconds + offset)
        let sign = offset < 0 ? "-" : "+"
        let magnitude = abs(offset)
        return pad(f.year, 4) + "-" + pad(f.month) + "-" + pad(f.day) + "T" + pad(f.hour) + ":" + pad(f.minute) + ":" + pad(f.second)
            + sign + pad(magnitude / 3600) + ":" + pad(magnitude % 3600 / 60)
    }

    /// Reads an ISO 8601 instant: `2026-03-08T01:30:00-05:00`, `2026-03-08T06:30:00Z`, or a wall time
    /// without an offset (`2026-03-08T01:30`, `2026-03-08 01:30:00`, `2026-03-08`) read on the clock of
    /// `zone` (a repeated wall time means its first occurrence; a skipped one, the instant clocks jump).
    /// Fractions of a second are dropped. Throws a ``ScheduleError`` naming `field`.
    public static func parse(_ text: String, in zone: TimeZone, field: String = "time") throws -> Date {
        let bad = { (reason: String) in ScheduleError(field: field, token: text, reason: reason, expression: text) }
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        func number(_ digits: Int) -> Int? {
            guard rest.count >= digits, rest.prefix(digits).allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            defer { rest = rest.dropFirst(digits) }
            return Int(rest.prefix(digits))
        }
        func skip(_ c: Character) -> Bool {
            guard rest.first == c else { return false }
            rest = rest.dropFirst()
            return true
        }
        let format = "is not an ISO 8601 time like 2026-03-08T01:30:00-05:00"
        guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2) else { throw bad(format) }
        var hour = 0, minute = 0, second = 0
        if skip("T") || skip(" ") {
            guard let h = number(2), skip(":"), let m = number(2) else { throw bad(format) }
            (hour, minute) = (h, m)
            if skip(":") {
                guard let s = number(2) else { throw bad(format) }
                second = s
                if skip(".") || skip(",") { while let c = rest.first, c.isASCII, c.isNumber { rest = rest.dropFirst() } }
            }
        }
        guard (1...12).contains(month), (1...Civil.daysInMonth(year, month)).contains(day), hour < 24, minute < 60, second < 60 else {
            throw bad("is not a valid date and time")
        }
        let local = Civil.seconds(year, month, day, hour, minute, second)
        if rest.isEmpty { return Date(timeIntervalSince1970: TimeInterval(ZoneClock(zone: zone).firstInstant(local))) }
        if rest == "Z" || rest == "z" { return Date(timeIntervalSince1970: TimeInterval(local)) }
        guard let sign = rest.first, sign == "+" || sign == "-" else { throw bad(format) }
        rest = rest.dropFirst()
        guard let oh = number(2) else { throw bad(format) }
        _ = skip(":")
        guard let om = number(2), rest.isEmpty, oh < 24, om < 60 else { throw bad(format) }
        let offset = (oh * 3600 + om * 60) * (sign == "-" ? -1 : 1)
        return Date(timeIntervalSince1970: TimeInterval(local - offset))
    }

    /// A zone by IANA name (`Europe/Berlin`, `UTC`, `Etc/GMT-5`); an unknown name is a ``ScheduleError``.
    ///
    /// `GMT+5` and `UTC-3` are refused although Foundation accepts them: it reads `GMT+5` as five hours east
    /// of Greenwich, POSIX `TZ` and tzdata's `Etc/GMT+5` as five hours west, so either reading surprises
    /// someone. The error names the IANA zone for each reading.
    public static func zone(_ identifier: String, expression: String? = nil) throws -> TimeZone {
        let upper = identifier.uppercased()
        if upper.hasPrefix("GMT") || upper.hasPrefix("UTC"), let sign = upper.dropFirst(3).first, sign == "+" || sign == "-" {
            let hours = identifier.dropFirst(4)
            let east = sign == "+" ? "-" : "+"
            throw ScheduleError(field: "time zone", token: identifier,
                                reason: "is ambiguous (Foundation reads it as UTC\(sign)\(hours), POSIX as UTC\(east)\(hours)); "
                                    + "write a zone such as Etc/GMT\(east)\(hours) (UTC\(sign)\(hours)) or a city's zone",
                                expression: expression ?? identifier)
        }
        if let zone = TimeZone(identifier: identifier) { return zone }
        throw ScheduleError(field: "time zone", token: identifier, reason: "is not an IANA time zone (such as UTC or Europe/Berlin)",
                            expression: expression ?? identifier)
    }

    /// The zone's IANA name as people write it (`UTC`, which Foundation calls `GMT`).
    public static func name(of zone: TimeZone) -> String { zone.identifier == "GMT" ? "UTC" : zone.identifier }

    static func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
