#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ISO 8601 parsing and formatting for ``Value/date(_:)`` and ``Value/timestamp(_:)``, without Foundation
/// (it is on the hot path of CSV and JSON inference).
public enum Timestamps {
    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The civil date of a day count.
    public static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The result of recognising an ISO 8601 string.
    public enum Parsed: Equatable, Sendable {
        case date(Int32)
        case timestamp(Int64)
    }

    /// Parses `YYYY-MM-DD` as a date, or `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|±HH[:MM]]` as a timestamp
    /// (a time without an offset is UTC, as dlt takes naive datetimes). Returns `nil` for anything else.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Parsed? {
        let n = bytes.count
        guard n >= 10, n <= 40 else { return nil }
        @inline(__always) func digit(_ i: Int) -> Int? {
            let c = bytes[i]
            return c >= 48 && c <= 57 ? Int(c - 48) : nil
        }
        @inline(__always) func num(_ i: Int, _ len: Int) -> Int? {
            var v = 0
            for k in i..<(i + len) {
                guard let d = digit(k) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let year = num(0, 4), bytes[4] == 45, let month = num(5, 2), bytes[7] == 45, let day = num(8, 2),
            (1...12).contains(month), day >= 1, day <= daysInMonth(year, month)
        else { return nil }
        let dayCount = days(year: year, month: month, day: day)
        if n == 10 { return .date(Int32(dayCount)) }
        guard bytes[10] == 84 || bytes[10] == 116 || bytes[10] == 32, n >= 16,
            let hour = num(11, 2), bytes[13] == 58, let minute = num(14, 2), hour < 24, minute < 60
        else { return nil }
        var i = 16
        var second = 0
        var micros = 0
        if i < n, bytes[i] == 58 {
            guard i + 3 <= n, let s = num(i + 1, 2), s < 61 else { return nil }
            second = s
            i += 3
            if i < n, bytes[i] == 46 || bytes[i] == 44 {
                i += 1
                var digits = 0
                while i < n, let d = digit(i) {
                    if digits < 6 { micros = micros * 10 + d }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return nil }
                for _ in min(digits, 6)..<6 { micros *= 10 }
            }
        }
        var offsetSeconds = 0
        if i < n {
            let c = bytes[i]
            if (c == 90 || c == 122) && i + 1 == n {
                i += 1
            } else if c == 43 || c == 45 {
                guard i + 3 <= n, let oh = num(i + 1, 2) else { return nil }
                var om = 0
                i += 3
                if i < n, bytes[i] == 58 { i += 1 }
                if i < n {
                    guard i + 2 == n, let m = num(i, 2) else { return nil }
                    om = m
                    i += 2
                }
                guard oh < 24, om < 60 else { return nil }
                offsetSeconds = (oh * 3600 + om * 60) * (c == 45 ? -1 : 1)
            } else {
                return nil
            }
        }
        guard i == n else { return nil }
        let seconds = dayCount * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return .timestamp(Int64(seconds) * 1_000_000 + Int64(micros))
    }

    public static func parse(_ string: String) -> Parsed? {
        var s = string
        return s.withUTF8 { parse($0) }
    }

    /// What text coerces to in an existing date or timestamp column, following dlt's `coerce_value`
    /// (`parse_iso_like_datetime`, then a number of epoch seconds): everything ``parse(_:)`` reads, plus
    /// ISO 8601 basic format (`20211013`, `20211013T134932Z`, `20211013T1349+0200`), `/` as the date
    /// separator (`2021/10/13`), a year alone (`2021`, January 1st, as pendulum reads it), and, when
    /// `epochSeconds`, a number as seconds since 1970 (`1634132972`, `1634132972.5`). White space around
    /// the text is ignored. Inference of new columns stays with ``parse(_:)``.
    public static func coerce(_ string: String, epochSeconds: Bool) -> Parsed? {
        let t = string.trimmingWhitespace()
        if let p = parse(t) { return p }
        let u = Array(t.utf8)
        func isDigit(_ k: Int) -> Bool { k < u.count && u[k] >= 48 && u[k] <= 57 }
        func digitRun(from k: Int) -> Int {
            var e = k
            while isDigit(e) { e += 1 }
            return e - k
        }
        var extended: [UInt8]?
        if u.count == 4, digitRun(from: 0) == 4 {
            extended = u + Array("-01-01".utf8)
        } else if u.count >= 10, isDigit(0), digitRun(from: 0) == 4, u[4] == 47, digitRun(from: 5) == 2, u[7] == 47 {
            extended = Array(u[0..<4]) + [45] + Array(u[5..<7]) + [45] + Array(u[8...])
        } else if digitRun(from: 0) == 8, u.count == 8 || u[8] == 84 || u[8] == 116 {
            var out = Array(u[0..<4]) + [45] + Array(u[4..<6]) + [45] + Array(u[6..<8])
            if u.count > 8 {
                let run = digitRun(from: 9)
                guard run == 2 || run == 4 || run == 6 else { return nil }
                out += [84] + Array(u[9..<11]) + [58] + (run >= 4 ? Array(u[11..<13]) : Array("00".utf8))
                if run == 6 { out += [58] + Array(u[13..<15]) }
                out += Array(u[(9 + run)...])
            }
            extended = out
        }
        if let extended, let p = extended.withUnsafeBufferPointer({ parse($0) }) { return p }
        if epochSeconds, let seconds = Value.parseDouble(t), abs(seconds) < 9e12 {
            return .timestamp(Int64((seconds * 1_000_000).rounded()))
        }
        return nil
    }

    /// `YYYY-MM-DD`.
    public static func formatDate(_ days: Int32) -> String {
        let (y, m, d) = civil(days: Int(days))
        return (y < 0 ? "-" + pad(-y, 4) : pad(y, 4)) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// The longest text ``writeTimestamp(_:into:)`` writes: a year of up to six digits and a sign, and microseconds.
    public static let maxTextLength = 40

    /// `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`: sorts as text in time order, and SQLite's date functions read it.
    public static func formatTimestamp(_ micros: Int64) -> String {
        var buffer = [UInt8](repeating: 0, count: maxTextLength)
        let n = buffer.withUnsafeMutableBufferPointer { writeTimestamp(micros, into: $0.baseAddress!) }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// Writes the text form of a timestamp into `out` (at least ``maxTextLength`` bytes) and returns its
    /// length. Years 0000-9999 have four digits; others as many as they need, and a `-` before the
    /// years before 0000 (ISO 8601's expanded years; PostgreSQL and DuckDB print years past 9999 so).
    @discardableResult
    public static func writeTimestamp(_ micros: Int64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let (day, second, fraction) = split(micros)
        let n = writeDate(day, into: out)
        return n + writeTime(second, fraction, into: out + n)
    }

    /// `micros` as its day since 1970-01-01, second of that day and microsecond of that second.
    @inline(__always) static func split(_ micros: Int64) -> (day: Int64, second: Int64, fraction: Int64) {
        var secs = micros / 1_000_000
        var frac = micros % 1_000_000
        if frac < 0 {
            frac += 1_000_000
            secs -= 1
        }
        var dayCount = secs / 86400
        var rem = secs % 86400
        if rem < 0 {
            rem += 86400
            dayCount -= 1
        }
        return (dayCount, rem, frac)
    }

    @inline(__always) private static func put(_ v: Int, _ width: Int, _ out: UnsafeMutablePointer<UInt8>, _ i: inout Int) {
        var v = v
        var k = width - 1
        while k >= 0 {
            out[i + k] = UInt8(48 + v % 10)
            v /= 10
            k -= 1
        }
        i += width
    }

    /// `YYYY-MM-DDT` of day `day`; its length.
    static func writeDate(_ day: Int64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let (y, mo, d) = civil(days: Int(day))
        var i = 0
        if y < 0 {
            out[0] = 45
            i = 1
        }
        let year = abs(y)
        put(year, year > 9999 ? String(year).utf8.count : 4, out, &i)
        out[i] = 45; i += 1
        put(mo, 2, out, &i)
        out[i] = 45; i += 1
        put(d, 2, out, &i)
        out[i] = 84; i += 1
        return i
    }

    /// `HH:MM:SS[.ffffff]+00:00` of second `second` of a day and microsecond `fraction`; its length.
    @inline(__always) static func writeTime(_ second: Int64, _ fraction: Int64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var i = 0
        put(Int(second / 3600), 2, out, &i)
        out[i] = 58; i += 1
        put(Int(second % 3600 / 60), 2, out, &i)
        out[i] = 58; i += 1
        put(Int(second % 60), 2, out, &i)
        if fraction != 0 {
            out[i] = 46; i += 1
            put(Int(fraction), 6, out, &i)
        }
        out[i] = 43  // +00:00
        out[i + 1] = 48
        out[i + 2] = 48
        out[i + 3] = 58
        out[i + 4] = 48
        out[i + 5] = 48
        return i + 6
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

/// ``Timestamps/writeTimestamp(_:into:)`` for a stream of values that mostly share a few days (a load's
/// rows): the dates of the last days met are kept (64 of them, by the day's low bits), so the calendar
/// arithmetic runs once per day, not per value (it was half the cost of writing a timestamp as text).
/// Same text, byte for byte. One per writer (not shared between threads).
public final class TimestampWriter {
    private static let slots = 64
    /// Per slot: the day it holds (`Int64.min`: none), and that day's `YYYY-MM-DDT` (at most 16 bytes).
    private let days: UnsafeMutablePointer<Int64>
    private let dates: UnsafeMutablePointer<UInt8>
    private let lengths: UnsafeMutablePointer<UInt8>

    public init() {
        days = .allocate(capacity: Self.slots)
        days.initialize(repeating: .min, count: Self.slots)
        dates = .allocate(capacity: Self.slots * 16)
        lengths = .allocate(capacity: Self.slots)
        lengths.initialize(repeating: 0, count: Self.slots)
    }

    deinit {
        days.deallocate()
        dates.deallocate()
        lengths.deallocate()
    }

    /// Writes `micros` into `out` (at least ``Timestamps/maxTextLength`` bytes) and returns the length.
    @inline(__always)
    public func write(_ micros: Int64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let (day, second, fraction) = Timestamps.split(micros)
        let slot = Int(truncatingIfNeeded: day) & (Self.slots - 1)
        let date = dates + slot * 16
        var n: Int
        if days[slot] == day {
            n = Int(lengths[slot])
            out.update(from: date, count: n)
        } else {
            n = Timestamps.writeDate(day, into: out)
            if n <= 16 {
                date.update(from: out, count: n)
                lengths[slot] = UInt8(n)
                days[slot] = day
            }
        }
        return n + Timestamps.writeTime(second, fraction, into: out + n)
    }
}
