#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Value {
    /// This value converted to `type`, following dlt's coercion table, or `nil` when it does not convert
    /// (the normalizer then writes it to a variant column instead of losing it).
    public func coerced(to type: DataType) -> Value? {
        guard let from = dataType else { return .null }
        if from == type { return self }
        switch (type, self) {
        case (.text, .object), (.text, .array): return .text(JSONText.encode(self))
        case (.text, _): return .text(textForm)
        case (.bigint, .text(let s)): return Self.parseInteger(s).map(Value.bigint)
        case (.bigint, .double(let d)):
            return d.rounded(.towardZero) == d && abs(d) < 9.2e18 ? .bigint(Int64(d)) : nil
        case (.bigint, .decimal(let s)): return Int64(s).map(Value.bigint)
        case (.double, .bigint(let i)): return .double(Double(i))
        case (.double, .decimal(let s)), (.double, .text(let s)): return Self.parseDouble(s).map(Value.double)
        case (.decimal, .bigint(let i)): return .decimal(String(i))
        case (.decimal, .double(let d)): return d.isFinite ? .decimal(Self.shortest(d)) : nil
        case (.decimal, .text(let s)):
            let t = s.trimmingWhitespace()
            return Self.parseDouble(t) != nil ? .decimal(t) : nil
        case (.bool, .text(let s)):
            switch s.lowercased() {
            case "true", "yes", "t", "y", "1": return .bool(true)
            case "false", "no", "f", "n", "0": return .bool(false)
            default: return nil
            }
        case (.bool, .bigint(let i)): return .bool(i != 0)
        case (.bool, .double(let d)): return .bool(d != 0)
        case (.timestamp, .text(let s)): return Timestamps.coerce(s, epochSeconds: true).flatMap { Self.time($0, as: .timestamp) }
        case (.timestamp, .bigint(let i)): return .timestamp(i.multipliedReportingOverflow(by: 1_000_000).overflow ? 0 : i * 1_000_000)
        case (.timestamp, .double(let d)): return d.isFinite && abs(d) < 9e12 ? .timestamp(Int64((d * 1_000_000).rounded())) : nil
        case (.timestamp, .date(let d)): return .timestamp(Int64(d) * 86_400_000_000)
        case (.date, .text(let s)): return Timestamps.coerce(s, epochSeconds: false).flatMap { Self.time($0, as: .date) }
        case (.date, .timestamp(let t)): return Self.dateWithoutLoss(t)
        case (.json, .text(let s)): return (try? JSONText.decode(s)).map { v in v }
        case (.binary, .text(let s)): return Self.decodeBinaryText(s).map(Value.binary)
        default: return nil
        }
    }

    /// `Value.text(s).coerced(to: type)` for a `date` or `timestamp` column, read from the text's UTF-8
    /// bytes without making a `String`, when the text needs no trimming and ``Timestamps/parse(_:)`` reads
    /// it (ISO 8601, the common case); `nil` otherwise, and the caller asks ``coerced(to:)`` of the text.
    @inline(__always)
    public static func coercedTimeText(_ bytes: UnsafeBufferPointer<UInt8>, to type: DataType) -> Value? {
        guard let first = bytes.first, let last = bytes.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F,
              let parsed = Timestamps.parse(bytes) else { return nil }
        return time(parsed, as: type)
    }

    /// A date or timestamp read from text, as the value a `date` or `timestamp` column holds.
    @inline(__always) static func time(_ parsed: Timestamps.Parsed, as type: DataType) -> Value? {
        switch (type, parsed) {
        case (.timestamp, .timestamp(let t)): return .timestamp(t)
        case (.timestamp, .date(let d)): return .timestamp(Int64(d) * 86_400_000_000)
        case (.date, .date(let d)): return .date(d)
        case (.date, .timestamp(let t)): return dateWithoutLoss(t)
        default: return nil
        }
    }

    /// A timestamp (UTC microseconds) as a date when it is midnight; `nil` (a variant column) when it has
    /// a time of day, which a date column would drop silently.
    static func dateWithoutLoss(_ t: Int64) -> Value? {
        t % 86_400_000_000 == 0 ? .date(Int32(floorDiv(t, 86_400_000_000))) : nil
    }

    /// The text a value converts to in a text column.
    public var textForm: String {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "True" : "False"
        case .bigint(let i): return String(i)
        case .double(let d): return Self.shortest(d)
        case .decimal(let s), .text(let s): return s
        case .date(let d): return Timestamps.formatDate(d)
        case .timestamp(let t): return Timestamps.formatTimestamp(t)
        case .binary(let b): return "0x" + b.map { String($0, radix: 16).leftPadded(2) }.joined()
        case .object, .array: return JSONText.encode(self)
        }
    }

    /// Parses a decimal integer (or `0x` hex) that fits 64 bits.
    public static func parseInteger(_ s: String) -> Int64? {
        let t = s.trimmingWhitespace()
        if t.hasPrefix("0x") { return Int64(t.dropFirst(2), radix: 16) }
        return Int64(t)
    }

    /// The number a text spells, when reading it as one changes nothing it says: `.bigint` for an
    /// integer that fits 64 bits, `.double` for a number of at most 15 significant digits (every such
    /// decimal survives a double exactly), `.decimal` (exact text) for longer numbers; `nil` for
    /// anything else, including leading zeros (`02116`, `007`), a leading `+`, white space and hex.
    ///
    /// This is how text infers to a number (CSV columns); a zip code or a SKU stays text.
    public static func exactNumber(_ s: String) -> Value? {
        enum Shape { case integer, short, long }
        var text = s
        let shape: Shape? = text.withUTF8 { u -> Shape? in
            var i = 0
            if i < u.count, u[i] == UInt8(ascii: "-") { i += 1 }
            @inline(__always) func digits() -> (count: Int, significant: Int) {
                var n = 0, significant = 0
                while i < u.count, u[i] >= 48, u[i] <= 57 {
                    if u[i] != 48 || significant > 0 { significant += 1 }
                    n += 1
                    i += 1
                }
                return (n, significant)
            }
            let intStart = i
            let int = digits()
            guard int.count > 0, int.count == 1 || u[intStart] != 48 else { return nil }
            var significant = int.significant
            var isInteger = true
            if i < u.count, u[i] == UInt8(ascii: ".") {
                i += 1
                let fraction = digits()
                guard fraction.count > 0 else { return nil }
                // Zeros right after the point do not count when the integer part is 0 (0.00012: 2 digits).
                significant = int.significant > 0 ? significant + fraction.count : fraction.significant
                isInteger = false
            }
            if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
                i += 1
                if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") { i += 1 }
                guard digits().count > 0 else { return nil }
                isInteger = false
            }
            guard i == u.count else { return nil }
            return isInteger ? .integer : significant <= 15 ? .short : .long
        }
        switch shape {
        case nil: return nil
        case .integer?:
            if let v = Int64(s) { return .bigint(v) }
            return .decimal(s)
        case .short?:
            return parseDouble(s).map(Value.double)  // nil when out of a double's range (1e400)
        case .long?:
            return parseDouble(s) != nil ? .decimal(s) : nil
        }
    }

    /// Parses a finite double with C's `strtod`, requiring the whole string to be consumed.
    public static func parseDouble(_ s: String) -> Double? {
        let t = s.trimmingWhitespace()
        guard !t.isEmpty, t.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 || $0 == 43 || $0 == 101 || $0 == 69 })
        else { return nil }
        return t.withCString { p -> Double? in
            var end: UnsafeMutablePointer<CChar>?
            let d = strtod(p, &end)
            guard let end, end.pointee == 0, d.isFinite else { return nil }
            return d
        }
    }

    /// The shortest text that reads back as the same double (Swift's description, like Python's `repr`).
    static func shortest(_ d: Double) -> String {
        d.description
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func decodeBinaryText(_ s: String) -> [UInt8]? {
        if s.hasPrefix("0x") {
            let hex = Array(s.utf8.dropFirst(2))
            guard hex.count % 2 == 0 else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(hex.count / 2)
            var i = 0
            while i < hex.count {
                guard let b = UInt8(String(decoding: hex[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
                out.append(b)
                i += 2
            }
            return out
        }
        return Base64.decode(s)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Standard base64 without Foundation.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8], padded: Bool = true) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)]]
            if rest == 2 { out.append(alphabet[Int(n >> 6 & 63)]) }
            if padded { out += Array(repeating: UInt8(ascii: "="), count: 3 - rest) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ s: String) -> [UInt8]? {
        var lookup = [Int16](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { lookup[Int(c)] = Int16(i) }
        var out: [UInt8] = []
        var acc: UInt32 = 0
        var bits = 0
        var sawPad = false
        for c in s.utf8 {
            if c == UInt8(ascii: "=") { sawPad = true; continue }
            guard !sawPad else { return nil }
            let v = lookup[Int(c)]
            guard v >= 0 else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xff))
            }
        }
        return out
    }
}
