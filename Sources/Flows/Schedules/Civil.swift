import Foundation

/// Proleptic Gregorian calendar arithmetic on wall-clock seconds ("local seconds": seconds since
/// 1970-01-01T00:00:00 on a wall clock, in no zone). Days since 1970-01-01 convert to and from dates
/// by Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms, with no Foundation calendar.
enum Civil {
    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a date (month 1-12, day 1-31).
    static func days(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day number (days since 1970-01-01).
    static func date(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Day of the week of a day number: 0 Sunday ... 6 Saturday (1970-01-01 was a Thursday).
    static func weekday(_ days: Int) -> Int { ((days % 7) + 11) % 7 }

    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// Local seconds of a wall-clock date and time.
    static func seconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int = 0) -> Int {
        days(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// The wall-clock fields of local seconds.
    static func fields(_ local: Int) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let days = floorDiv(local, 86_400)
        let rest = local - days * 86_400
        let (y, m, d) = date(days)
        return (y, m, d, rest / 3600, rest % 3600 / 60, rest % 60)
    }

    /// Local seconds of the last representable wall time we schedule (9999-12-31T23:59:59).
    static let latest = seconds(9999, 12, 31, 23, 59, 59)

    /// Whole seconds since 1970 of an instant, clamped to the years 1-9999 a schedule works in (so no
    /// `Date` a caller passes can overflow the arithmetic).
    static func instant(_ date: Date) -> Int {
        let value = date.timeIntervalSince1970.rounded(.down)
        guard value.isFinite else { return value > 0 ? latest : earliest }
        return Int(min(max(value, Double(earliest)), Double(latest)))
    }

    /// 0001-01-01T00:00:00.
    static let earliest = seconds(1, 1, 1, 0, 0, 0)
}

/// A time zone's wall clock: instants to wall times and back, naming gaps (spring forward) and
/// repeats (fall back). Offsets come from the IANA database through Foundation's `TimeZone`.
struct ZoneClock: Sendable, Hashable {
    let zone: TimeZone

    /// How a wall time maps to instants (seconds since 1970 UTC).
    enum Resolution: Equatable {
        /// It happens once.
        case unique(Int)
        /// It happens twice (the hour repeated when clocks go back): the first and the second time.
        case repeated(Int, Int)
        /// It never happens (the hour skipped when clocks go forward); `jump` is the instant of the
        /// change, the first instant after the gap.
        case skipped(jump: Int)

        /// The first instant it happens, or the jump for a skipped time: never decreasing as the wall time grows.
        var first: Int {
            switch self {
            case .unique(let t), .repeated(let t, _), .skipped(let t): return t
            }
        }
    }

    func offset(_ instant: Int) -> Int { zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))) }

    func wall(_ instant: Int) -> Int { instant + offset(instant) }

    /// The instants at which the wall clock shows `local`. Assumes at most one offset change within a
    /// day either side (true of every zone in the IANA database since 1970).
    func resolve(_ local: Int) -> Resolution {
        let offsets = Set([offset(local - 86_400), offset(local), offset(local + 86_400)])
        var valid: [Int] = []
        var invalid: [Int] = []
        for candidate in offsets {
            let instant = local - candidate
            if offset(instant) == candidate { valid.append(instant) } else { invalid.append(instant) }
        }
        valid.sort()
        if let first = valid.first {
            return valid.count == 1 ? .unique(first) : .repeated(first, valid[valid.count - 1])
        }
        // A gap: the change lies between the two readings; find its instant to the second.
        guard var low = invalid.min(), var high = invalid.max(), low < high else { return .unique(local - offset(local)) }
        let after = offset(high)
        while high - low > 1 {
            let mid = low + (high - low) / 2
            if offset(mid) == after { high = mid } else { low = mid }
        }
        return .skipped(jump: high)
    }

    /// The first instant the wall clock shows `local` (the jump, for a skipped time).
    func firstInstant(_ local: Int) -> Int { resolve(local).first }
}
