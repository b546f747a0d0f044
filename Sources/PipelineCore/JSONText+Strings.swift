/// JSON strings: escapes, surrogate pairs and UTF-8 checks, with a fast scan of the bytes that need none.
extension JSONText.Scanner {
    @inline(__always) mutating func skipString() throws(JSONText.ParseError) {
        let start = i + 1
        let (j, ascii) = plainRun(from: start)
        if j < p.count, p[j] == UInt8(ascii: "\"") {
            if !ascii, let bad = UTF8Text.firstInvalid(UnsafeBufferPointer(rebasing: p[start..<j])) {
                throw invalidUTF8(at: start + bad)
            }
            i = j + 1
            return
        }
        _ = try parseString()  // escapes or an error: take the full path
    }

    /// See ``JSONText/plainRun(_:from:)``.
    @inline(__always) func plainRun(from start: Int) -> (end: Int, ascii: Bool) { JSONText.plainRun(p, from: start) }

    mutating func parseString() throws(JSONText.ParseError) -> String {
        try withString { p, _ in String(decoding: p, as: UTF8.self) }
    }

    /// Reads the string at the scanner's position (its opening quote) and hands `body` its bytes,
    /// unescaped and checked as UTF-8: a slice of the input when the string has no escapes, else
    /// ``scratch``. The bytes are valid only inside `body`.
    mutating func withString<R>(_ body: (UnsafeBufferPointer<UInt8>, _ plain: Bool) -> R) throws(JSONText.ParseError) -> R {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes.
        let (end, ascii) = plainRun(from: start)
        i = end
        if i < p.count, p[i] == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: p[start..<i])
            i += 1
            if !ascii, let bad = UTF8Text.firstInvalid(slice) {
                throw invalidUTF8(at: start + bad)
            }
            return body(slice, true)
        }
        if i < p.count, p[i] < 0x20 { throw unescapedControl() }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<i]))
        while i < p.count {
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                guard scratch.withUnsafeBufferPointer({ UTF8Text.isValid($0) }) else {
                    // Escapes are ASCII: the invalid byte is in the text as written, at the same offset.
                    let bad = UTF8Text.firstInvalid(UnsafeBufferPointer(rebasing: p[start..<i - 1])) ?? 0
                    throw invalidUTF8(at: start + bad)
                }
                return scratch.withUnsafeBufferPointer { body($0, false) }
            }
            if c < 0x20 { throw unescapedControl() }
            if c != UInt8(ascii: "\\") {
                scratch.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < p.count else { break }
            let e = p[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800, scalar < 0xDC00 {
                    guard i + 1 < p.count, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00, low < 0xE000 else { throw error("unpaired surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00, scalar < 0xE000 {
                    throw error("unpaired surrogate in \\u escape")
                }
                appendUTF8(scalar)
            default:
                // At the backslash, where the escape starts.
                let reason = e >= 0x21 && e < 0x7F ? "invalid escape '\\\(UnicodeScalar(e))'"
                    : "invalid escape: a backslash before \(JSONText.describeCharacter(at: i - 1, in: p))"
                throw JSONText.ParseError(reason: reason, offset: i - 2)
            }
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws(JSONText.ParseError) -> UInt32 {
        guard i + 4 <= p.count else { throw error("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = p[i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func appendUTF8(_ s: UInt32) {
        if s < 0x80 {
            scratch.append(UInt8(s))
        } else if s < 0x800 {
            scratch.append(UInt8(0xC0 | s >> 6))
            scratch.append(UInt8(0x80 | s & 0x3F))
        } else if s < 0x10000 {
            scratch.append(UInt8(0xE0 | s >> 12))
            scratch.append(UInt8(0x80 | s >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | s & 0x3F))
        } else {
            scratch.append(UInt8(0xF0 | s >> 18))
            scratch.append(UInt8(0x80 | s >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | s >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | s & 0x3F))
        }
    }

    /// A control character at `i` inside a string, which JSON allows only escaped: named by its code point.
    func unescapedControl() -> JSONText.ParseError {
        error("unescaped " + JSONText.describeCharacter(at: i, in: p) + " in a string")
    }
}

extension JSONText {
    /// The character at byte `i` of `p` as an error names it: `character 's'`, `character 'é' (U+00E9)`
    /// (decoded, not its first byte read as Latin-1), `control character U+0001`, or `byte 0xFF (not UTF-8)`.
    static func describeCharacter(at i: Int, in p: UnsafeBufferPointer<UInt8>) -> String {
        guard i >= 0, i < p.count else { return "end of input" }
        let b = p[i]
        if b < 0x20 || b == 0x7F { return "control character U+00" + (b < 0x10 ? "0" : "") + String(b, radix: 16, uppercase: true) }
        if b < 0x80 { return "character '\(UnicodeScalar(b))'" }
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
        if length > 1, i + length <= p.count {
            let bytes = UnsafeBufferPointer(rebasing: p[i..<(i + length)])
            if UTF8Text.firstInvalid(bytes) == nil, let scalar = String(decoding: bytes, as: UTF8.self).unicodeScalars.first {
                let code = String(scalar.value, radix: 16, uppercase: true)
                return "character '\(scalar)' (U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code))"
            }
        }
        let hex = "byte 0x" + String(b, radix: 16, uppercase: true)
        // At the start of the text, the byte order mark of UTF-16 (or UTF-32) text.
        return i == 0 && (b == 0xFF || b == 0xFE) ? hex + " (not UTF-8: UTF-16 text starts with 0xFF 0xFE or 0xFE 0xFF)" : hex + " (not UTF-8)"
    }

    /// The index of the first `"`, `\` or control character at or after `start` in `p` (or `p.count`),
    /// and whether every byte before it is ASCII: what a JSON string may hold as it is. Eight bytes at a
    /// time (the bit tricks of Anderson's "Bit Twiddling Hacks": a zero byte, a byte less than n).
    @inline(__always) public static func plainRun(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> (end: Int, ascii: Bool) {
        var j = start
        var seen: UInt64 = 0
        let n = p.count
        if let base = p.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            while j + 8 <= n {
                let w = UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self)
                let quote = w ^ 0x2222_2222_2222_2222, backslash = w ^ 0x5C5C_5C5C_5C5C_5C5C
                let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((w &- 0x2020_2020_2020_2020) & ~w)
                if special & highs != 0 { break }
                seen |= w
                j += 8
            }
        }
        while j < n {
            let c = p[j]
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
            seen |= UInt64(c)
            j += 1
        }
        return (j, seen & 0x8080_8080_8080_8080 == 0)
    }
}
