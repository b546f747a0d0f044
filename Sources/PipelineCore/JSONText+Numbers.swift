#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// JSON numbers: exact integers, correctly rounded doubles (Clinger's fast path, else `strtod`), and a
/// check that steps over a number without computing it.
extension JSONText {
    /// 10^k for k in 0...22, all exact doubles (a switch of literals: no lazy global on the hot path).
    @inlinable @inline(__always) public static func powerOfTen(_ k: Int) -> Double {
        switch k {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }
}

extension JSONText.Scanner {
    /// Reads the number at `i` when it is a short plain decimal whose double's shortest text is the
    /// decimal itself (``PackageFile/Tag/scaledDouble``): `-`, integer digits, `.`, fraction digits, no
    /// exponent; at most 15 significant digits and 6 decimals once trailing zeros are dropped; 0, or at
    /// least 0.001. Returns its digits `m` (trailing zeros dropped), decimals `k` and sign; `nil`, having
    /// read nothing, for anything else (an integer, an exponent, more digits, or text that is not a JSON
    /// number, which ``parseNumber()`` then reads, or reports, as it would any number).
    @inlinable @inline(__always)
    mutating func parseScaledDecimal() -> (m: UInt64, k: Int, negative: Bool)? {
        let n = p.count
        var j = i
        let negative = j < n && p[j] == UInt8(ascii: "-")
        if negative { j += 1 }
        guard j < n else { return nil }
        var m: UInt64 = 0
        if p[j] == UInt8(ascii: "0") {
            j += 1
        } else {
            let start = j
            while j < n, p[j] &- 48 < 10 {
                guard m < 100_000_000_000_000 else { return nil }  // a 16th integer digit
                m = m &* 10 &+ UInt64(p[j] &- 48)
                j += 1
            }
            guard j > start else { return nil }
        }
        guard j < n, p[j] == UInt8(ascii: ".") else { return nil }
        j += 1
        let fraction = j
        while j < n, p[j] &- 48 < 10 {
            guard m < 100_000_000_000_000_000 else { return nil }  // too many digits for 64 bits: see below
            m = m &* 10 &+ UInt64(p[j] &- 48)
            j += 1
        }
        var k = j - fraction
        guard k > 0, j == n || (p[j] | 0x20) != UInt8(ascii: "e") else { return nil }
        if m == 0 {
            k = 0
        } else {
            while k > 0, m % 10 == 0 {
                m /= 10
                k -= 1
            }
        }
        guard k <= 6, m < 1_000_000_000_000_000, m == 0 || k <= 3 || m >= UInt64(JSONText.powerOfTen(k - 3)) else { return nil }
        i = j
        return (m, k, negative)
    }

    /// Reads the number at `i` when it is a plain integer below 10^18 in magnitude (`-`, then `0` or a digit
    /// 1-9 and at most 17 more, not followed by a digit, `.`, `e` or `E`), which ``parseNumber()`` reads as
    /// the same ``Value/bigint(_:)`` (`-0` too: 0); `nil`, having read nothing, for anything else. The direct
    /// path's integers, inline, without the general parse's call.
    @inlinable @inline(__always)
    mutating func parsePlainInteger() -> Int64? {
        let n = p.count
        var j = i
        let negative = j < n && p[j] == UInt8(ascii: "-")
        if negative { j += 1 }
        guard j < n, p[j] &- 48 < 10 else { return nil }
        var v = Int64(p[j] &- 48)
        j += 1
        if v != 0 {
            let limit = j + 17
            while j < n, j < limit, p[j] &- 48 < 10 {
                v = v &* 10 &+ Int64(p[j] &- 48)
                j += 1
            }
        }
        if j < n {
            let c = p[j]
            guard c &- 48 >= 10, c != UInt8(ascii: "."), c | 0x20 != UInt8(ascii: "e") else { return nil }
        }
        i = j
        return negative ? -v : v
    }

    mutating func parseNumber() throws(JSONText.ParseError) -> Value {
        let start = i
        var negative = false
        if p[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < p.count, p[i] >= 48, p[i] <= 57 else { throw error("invalid number") }
        var magnitude: UInt64 = 0
        var overflow = false
        var integerDigits = 0
        if p[i] == 48 {
            i += 1
        } else {
            // Up to 19 digits cannot overflow 64 bits: no checks.
            while integerDigits < 19, i < p.count, p[i] >= 48, p[i] <= 57 {
                magnitude = magnitude &* 10 &+ UInt64(p[i] &- 48)
                integerDigits += 1
                i += 1
            }
            while i < p.count, p[i] >= 48, p[i] <= 57 {
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(p[i] - 48))
                if o1 || o2 { overflow = true }
                magnitude = m2
                integerDigits += 1
                i += 1
            }
        }
        var isFloat = false
        // Decimal significand and exponent, for the exact fast path below.
        var significand = magnitude
        var significandDigits = overflow ? 20 : integerDigits
        var exponent = 0
        if i < p.count, p[i] == UInt8(ascii: ".") {
            isFloat = true
            i += 1
            guard i < p.count, p[i] >= 48, p[i] <= 57 else { throw error("invalid number: digits must follow '.'") }
            while i < p.count, p[i] >= 48, p[i] <= 57 {
                if significandDigits < 19 {
                    significand = significand &* 10 &+ UInt64(p[i] - 48)
                    if significand > 0 { significandDigits += 1 }
                    exponent -= 1
                } else {
                    significandDigits = 20  // too many digits: leave it to strtod
                }
                i += 1
            }
        }
        if i < p.count, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            isFloat = true
            i += 1
            var negativeExponent = false
            if i < p.count, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
                negativeExponent = p[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < p.count, p[i] >= 48, p[i] <= 57 else { throw error("invalid number: digits must follow the exponent") }
            var e = 0
            while i < p.count, p[i] >= 48, p[i] <= 57 {
                if e < 100_000 { e = e * 10 + Int(p[i] - 48) }
                i += 1
            }
            exponent += negativeExponent ? -e : e
        }
        if !isFloat {
            if !overflow {
                if !negative, magnitude <= UInt64(Int64.max) { return .bigint(Int64(magnitude)) }
                if negative, magnitude <= UInt64(Int64.max) + 1 { return .bigint(Int64(truncatingIfNeeded: 0 &- magnitude)) }
            }
            return .decimal(String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self))
        }
        if exactFloats {
            // Kept as its text, but held to what a double holds, as it is without a decimal column (a value
            // that later goes into a double column would change silently otherwise).
            let d = double(from: start)
            guard d.isFinite else { throw JSONText.ParseError(reason: "number out of range", offset: start) }
            if d == 0 { try refuseUnderflow(from: start) }
            return .decimal(String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self))
        }
        // Clinger's fast path: a significand below 2^53 and a power of ten up to 10^22 are both exact
        // doubles, so one multiplication or division rounds correctly, as strtod would.
        if significandDigits <= 19, significand < (1 << 53), exponent >= -22, exponent <= 22 {
            let m = Double(significand)
            let d = exponent < 0 ? m / JSONText.powerOfTen(-exponent) : m * JSONText.powerOfTen(exponent)
            return .double(negative ? -d : d)
        }
        let d = double(from: start)
        guard d.isFinite else { throw JSONText.ParseError(reason: "number out of range", offset: start) }
        if d == 0 { try refuseUnderflow(from: start) }
        return .double(d)
    }

    /// Throws for the number literal from `start` to the scanner's position, which reads as 0 in a double,
    /// unless it is 0 as written (1e-400 would be a value changed silently).
    private func refuseUnderflow(from start: Int) throws(JSONText.ParseError) {
        var k = start
        while k < i, p[k] != UInt8(ascii: "e"), p[k] != UInt8(ascii: "E") {
            if p[k] >= 49, p[k] <= 57 { throw JSONText.ParseError(reason: "number out of range: too close to zero", offset: start) }
            k += 1
        }
    }

    /// C's `strtod` of the number literal from `start` to the scanner's position.
    func double(from start: Int) -> Double {
        let len = i - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: len + 1) { buf in
            for k in 0..<len { buf[k] = CChar(bitPattern: p[start + k]) }
            buf[len] = 0
            return strtod(buf.baseAddress!, nil)
        }
    }

    /// Steps over a number that ``parseNumber()`` would accept, without computing it. One with an
    /// exponent or longer than 300 characters (perhaps out of a double's range) is parsed, and so is
    /// a malformed one (for its error).
    @inline(__always) mutating func skipNumber() throws(JSONText.ParseError) {
        let start = i
        var j = i
        @inline(__always) func isDigit(_ k: Int) -> Bool { k < p.count && p[k] >= 48 && p[k] <= 57 }
        if p[j] == UInt8(ascii: "-") { j += 1 }
        var plain = isDigit(j)
        if plain {
            if p[j] == 48 { j += 1 } else { while isDigit(j) { j += 1 } }
            if j < p.count, p[j] == UInt8(ascii: ".") {
                j += 1
                plain = isDigit(j)
                while isDigit(j) { j += 1 }
            }
            if j < p.count, p[j] == UInt8(ascii: "e") || p[j] == UInt8(ascii: "E") { plain = false }
        }
        guard plain, j - start <= 300 else {
            _ = try parseNumber()
            return
        }
        i = j
    }
}
