#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// JSON <-> ``Value``: a byte-level scanner (no Foundation on the hot path) and an encoder.
///
/// Objects keep key order; integers that fit 64 bits stay exact ``Value/bigint(_:)``, larger ones
/// become exact ``Value/decimal(_:)``; numbers with a fraction or exponent are doubles. Strings are
/// validated as UTF-8; `\u` escapes, surrogate pairs included, are decoded.
public enum JSONText {
    /// Why a document did not parse, and where (byte offset into the input).
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var offset: Int
        public var description: String { "\(reason) at byte \(offset + 1)" }
    }

    /// 10^k for k in 0...22, all exact doubles (a switch of literals: no lazy global on the hot path).
    @inline(__always) public static func powerOfTen(_ k: Int) -> Double {
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

    /// The deepest nesting accepted; deeper input is an error, never a stack overflow.
    public static let maxDepth = 512

    /// Parses one JSON value.
    ///
    /// With `exactFloats`, a number with a fraction or exponent comes back as its text in
    /// ``Value/decimal(_:)`` (still checked to be in a double's range); the normalizer asks for this in
    /// tables with decimal columns, so `123456789.123456789` reaches one as written, unrounded.
    ///
    /// `keys`: a table shared by the documents of one reader, so repeated object keys are decoded once
    /// (see ``JSONKeyTable``); the value is the same with or without it.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, exactFloats: Bool = false,
                              keys: JSONKeyTable? = nil) throws(ParseError) -> Value
    {
        var scanner = Scanner(bytes)
        scanner.exactFloats = exactFloats
        scanner.keys = keys
        if let keys { swap(&scanner.keyIds, &keys.idStack) }
        defer { if let keys { swap(&scanner.keyIds, &keys.idStack) } }
        scanner.skipSpace()
        let value = try scanner.parseValue(depth: 0)
        scanner.skipSpace()
        guard scanner.i == bytes.count else { throw scanner.error("unexpected data after the JSON value") }
        return value
    }

    /// Checks that `bytes` hold exactly one valid JSON value (UTF-8, escapes, numbers, nesting depth)
    /// without building it: what ``decode(_:)-(UnsafeBufferPointer<UInt8>)`` would accept, at a
    /// fraction of the cost.
    public static func validate(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) {
        var scanner = Scanner(bytes)
        scanner.skipSpace()
        try scanner.skipValue(depth: 0)
        scanner.skipSpace()
        guard scanner.i == bytes.count else { throw scanner.error("unexpected data after the JSON value") }
    }

    public static func decode(_ text: String) throws(ParseError) -> Value {
        let bytes = Array(text.utf8)
        return try decode(bytes)
    }

    public static func decode(_ bytes: [UInt8]) throws(ParseError) -> Value {
        try bytes.withUnsafeBufferPointer { p throws(ParseError) in try decode(p) }
    }

    struct Scanner {
        let p: UnsafeBufferPointer<UInt8>
        var i = 0
        var scratch: [UInt8] = []
        var exactFloats = false
        /// Unowned: ``JSONText/decode(_:exactFloats:keys:)`` holds the table for the scanner's whole life,
        /// and a key costs no reference count.
        unowned(unsafe) var keys: JSONKeyTable?
        /// Ids (from ``keys``) of the keys of the objects being parsed, innermost last; -1 for a key
        /// the table does not hold.
        var keyIds: [Int32] = []

        init(_ p: UnsafeBufferPointer<UInt8>) { self.p = p }

        func error(_ reason: String) -> ParseError { ParseError(reason: reason, offset: i) }

        @inline(__always) mutating func skipSpace() {
            while i < p.count {
                let c = p[i]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
            }
        }

        /// `parent`: the id of the key holding this value (-1: none or not interned), to guess the first
        /// key of an object.
        mutating func parseValue(depth: Int, parent: Int32 = -1) throws(ParseError) -> Value {
            guard i < p.count else { throw error("unexpected end of input") }
            switch p[i] {
            case UInt8(ascii: "{"):
                guard depth < JSONText.maxDepth else { throw error("nesting deeper than \(JSONText.maxDepth) levels") }
                i += 1
                var row = Row()
                skipSpace()
                if i < p.count, p[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(row)
                }
                if let keys, depth < 16 { row.fields.reserveCapacity(keys.objectSizes[depth]) }
                let idBase = keyIds.count
                defer {
                    keyIds.removeSubrange(idBase...)
                    if let keys, depth < 16 { keys.objectSizes[depth] = row.fields.count }
                }
                var allInterned = keys != nil
                var previous: Int32 = -1
                while true {
                    skipSpace()
                    guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                    let slot = JSONKeyTable.token(after: row.fields.isEmpty ? parent : previous, first: row.fields.isEmpty)
                    let (key, id) = try parseKey(guess: slot)
                    skipSpace()
                    guard i < p.count, p[i] == UInt8(ascii: ":") else { throw error("expected ':' after a key") }
                    i += 1
                    skipSpace()
                    let v = try parseValue(depth: depth + 1, parent: id)
                    // A key given twice keeps its last value, as JSON parsers do (Python's json, JavaScript).
                    // Interned ASCII keys are equal exactly when their ids are.
                    if id < 0 || keys?.isASCII[Int(id)] != true { allInterned = false }
                    let k = allInterned ? keyIds[idBase...].firstIndex(of: id).map { $0 - idBase }
                        : row.fields.firstIndex(where: { $0.name == key })
                    if let k {
                        row.fields[k].value = v
                    } else {
                        row.fields.append(Row.Field(key, v))
                        keyIds.append(id)
                    }
                    previous = id
                    skipSpace()
                    guard i < p.count else { throw error("unexpected end of input in an object") }
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    if p[i] == UInt8(ascii: "}") { i += 1; return .object(row) }
                    throw error("expected ',' or '}' in an object")
                }
            case UInt8(ascii: "["):
                guard depth < JSONText.maxDepth else { throw error("nesting deeper than \(JSONText.maxDepth) levels") }
                i += 1
                var items: [Value] = []
                skipSpace()
                if i < p.count, p[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                }
                while true {
                    skipSpace()
                    items.append(try parseValue(depth: depth + 1, parent: parent))
                    skipSpace()
                    guard i < p.count else { throw error("unexpected end of input in a list") }
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    if p[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                    throw error("expected ',' or ']' in a list")
                }
            case UInt8(ascii: "\""):
                return .text(try parseString())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return try parseNumber()
            default:
                throw error("unexpected character '\(Unicode.Scalar(p[i]))'")
            }
        }

        /// ``parseValue(depth:)`` without building: same grammar, same errors.
        mutating func skipValue(depth: Int) throws(ParseError) {
            guard i < p.count else { throw error("unexpected end of input") }
            switch p[i] {
            case UInt8(ascii: "{"):
                guard depth < JSONText.maxDepth else { throw error("nesting deeper than \(JSONText.maxDepth) levels") }
                i += 1
                skipSpace()
                if i < p.count, p[i] == UInt8(ascii: "}") {
                    i += 1
                    return
                }
                while true {
                    skipSpace()
                    guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                    try skipString()
                    skipSpace()
                    guard i < p.count, p[i] == UInt8(ascii: ":") else { throw error("expected ':' after a key") }
                    i += 1
                    skipSpace()
                    try skipValue(depth: depth + 1)
                    skipSpace()
                    guard i < p.count else { throw error("unexpected end of input in an object") }
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    if p[i] == UInt8(ascii: "}") { i += 1; return }
                    throw error("expected ',' or '}' in an object")
                }
            case UInt8(ascii: "["):
                guard depth < JSONText.maxDepth else { throw error("nesting deeper than \(JSONText.maxDepth) levels") }
                i += 1
                skipSpace()
                if i < p.count, p[i] == UInt8(ascii: "]") {
                    i += 1
                    return
                }
                while true {
                    skipSpace()
                    try skipValue(depth: depth + 1)
                    skipSpace()
                    guard i < p.count else { throw error("unexpected end of input in a list") }
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    if p[i] == UInt8(ascii: "]") { i += 1; return }
                    throw error("expected ',' or ']' in a list")
                }
            case UInt8(ascii: "\""):
                try skipString()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try skipNumber()
            default:
                _ = try parseValue(depth: depth)  // literals build nothing on the heap
            }
        }

        /// Steps over a number that ``parseNumber()`` would accept, without computing it. One with an
        /// exponent or longer than 300 characters (perhaps out of a double's range) is parsed, and so is
        /// a malformed one (for its error).
        mutating func skipNumber() throws(ParseError) {
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

        mutating func skipString() throws(ParseError) {
            let start = i + 1
            let (j, ascii) = plainRun(from: start)
            if j < p.count, p[j] == UInt8(ascii: "\"") {
                guard ascii || UTF8Text.isValid(UnsafeBufferPointer(rebasing: p[start..<j])) else {
                    throw ParseError(reason: "invalid UTF-8 in a string", offset: start)
                }
                i = j + 1
                return
            }
            _ = try parseString()  // escapes or an error: take the full path
        }

        /// The index of the first `"`, `\` or control character at or after `start` (or the end of the
        /// input), and whether every byte before it is ASCII: eight bytes at a time (the bit tricks of
        /// Anderson's "Bit Twiddling Hacks": a zero byte, a byte less than n).
        @inline(__always) func plainRun(from start: Int) -> (end: Int, ascii: Bool) {
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

        /// An object key and its id in ``keys`` (-1 when there is no table or it cannot hold the key).
        @inline(__always)
        mutating func parseKey(guess slot: Int) throws(ParseError) -> (String, Int32) {
            guard let keys else { return (try parseString(), -1) }
            let quote = i
            let start = i + 1
            var j = start
            while j < p.count {
                let c = p[j]
                if c == UInt8(ascii: "\"") {
                    let slice = UnsafeBufferPointer(rebasing: p[start..<j])
                    guard let id = keys.id(of: slice, guess: slot, valid: false) else {
                        throw ParseError(reason: "invalid UTF-8 in a string", offset: start)
                    }
                    if id < 0 { return (try parseString(), -1) }
                    i = j + 1
                    return (keys.strings[Int(id)], id)
                }
                if c == UInt8(ascii: "\\") || c < 0x20 { break }
                j += 1
            }
            // Escapes or an error: the full path, then the decoded key is looked up.
            i = quote
            var key = try parseString()
            let id = key.withUTF8 { keys.id(of: $0, guess: slot, valid: true) } ?? -1
            return (id < 0 ? key : keys.strings[Int(id)], id)
        }

        mutating func literal(_ word: StaticString) throws(ParseError) {
            let n = word.utf8CodeUnitCount
            guard i + n <= p.count else { throw error("invalid literal") }
            let w = word.utf8Start
            for k in 0..<n where p[i + k] != w[k] { throw error("invalid literal") }
            i += n
        }

        mutating func parseNumber() throws(ParseError) -> Value {
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
                guard double(from: start).isFinite else { throw ParseError(reason: "number out of range", offset: start) }
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
            guard d.isFinite else { throw ParseError(reason: "number out of range", offset: start) }
            if d == 0 {
                // 1e-400 reads as 0 in a double: a value changed silently unless it is 0 as written.
                var k = start
                while k < i, p[k] != UInt8(ascii: "e"), p[k] != UInt8(ascii: "E") {
                    if p[k] >= 49, p[k] <= 57 { throw ParseError(reason: "number out of range", offset: start) }
                    k += 1
                }
            }
            return .double(d)
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

        mutating func parseString() throws(ParseError) -> String {
            try withString { String(decoding: $0, as: UTF8.self) }
        }

        /// Reads the string at the scanner's position (its opening quote) and hands `body` its bytes,
        /// unescaped and checked as UTF-8: a slice of the input when the string has no escapes, else
        /// ``scratch``. The bytes are valid only inside `body`.
        mutating func withString<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) throws(ParseError) -> R {
            i += 1  // opening quote
            let start = i
            // Fast path: no escapes.
            let (end, ascii) = plainRun(from: start)
            i = end
            if i < p.count, p[i] == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: p[start..<i])
                i += 1
                guard ascii || UTF8Text.isValid(slice) else {
                    throw ParseError(reason: "invalid UTF-8 in a string", offset: start)
                }
                return body(slice)
            }
            if i < p.count, p[i] < 0x20 { throw error("control character in a string") }
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<i]))
            while i < p.count {
                let c = p[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    guard scratch.withUnsafeBufferPointer({ UTF8Text.isValid($0) }) else {
                        throw ParseError(reason: "invalid UTF-8 in a string", offset: start)
                    }
                    return scratch.withUnsafeBufferPointer { body($0) }
                }
                if c < 0x20 { throw error("control character in a string") }
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
                    throw error("invalid escape '\\\(Unicode.Scalar(e))'")
                }
            }
            throw error("unterminated string")
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
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
    }
}
