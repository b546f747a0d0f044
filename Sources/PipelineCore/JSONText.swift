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
        guard scanner.i == bytes.count else { throw scanner.error(trailingData) }
        return value
    }

    /// Checks that `bytes` hold exactly one valid JSON value (UTF-8, escapes, numbers, nesting depth)
    /// without building it: what ``decode(_:)-(UnsafeBufferPointer<UInt8>)`` would accept, at a
    /// fraction of the cost.
    /// The reason of the error for text after a whole value (``decode(_:exactFloats:keys:)``, ``validate(_:)``).
    public static let trailingData = "unexpected data after the JSON value"

    public static func validate(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) {
        var scanner = Scanner(bytes)
        scanner.skipSpace()
        try scanner.skipValue(depth: 0)
        scanner.skipSpace()
        guard scanner.i == bytes.count else { throw scanner.error(trailingData) }
    }

    public static func decode(_ text: String) throws(ParseError) -> Value {
        let bytes = Array(text.utf8)
        return try decode(bytes)
    }

    public static func decode(_ bytes: [UInt8]) throws(ParseError) -> Value {
        try bytes.withUnsafeBufferPointer { p throws(ParseError) in try decode(p) }
    }

    @usableFromInline struct Scanner {
        @usableFromInline let p: UnsafeBufferPointer<UInt8>
        @usableFromInline var i = 0
        var scratch: [UInt8] = []
        var exactFloats = false
        /// Unowned: ``JSONText/decode(_:exactFloats:keys:)`` holds the table for the scanner's whole life,
        /// and a key costs no reference count.
        unowned(unsafe) var keys: JSONKeyTable?
        /// Ids (from ``keys``) of the keys of the objects being parsed, innermost last; -1 for a key
        /// the table does not hold.
        var keyIds: [Int32] = []

        @inlinable init(_ p: UnsafeBufferPointer<UInt8>) { self.p = p }

        @usableFromInline func error(_ reason: String) -> ParseError { ParseError(reason: reason, offset: i) }

        /// Invalid UTF-8 in a string, at the byte `offset`, named by its value.
        func invalidUTF8(at offset: Int) -> ParseError {
            let value = offset < p.count ? " (0x" + String(p[offset], radix: 16, uppercase: true) + ")" : ""
            return ParseError(reason: "invalid UTF-8 in a string" + value, offset: offset)
        }

        /// `expected <what>, found <the character at the position>` (see ``JSONText/describeCharacter(at:in:)``).
        @usableFromInline func expected(_ what: String) -> ParseError {
            ParseError(reason: "expected \(what), found \(JSONText.describeCharacter(at: i, in: p))", offset: i)
        }

        @inlinable @inline(__always) mutating func skipSpace() {
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
                    guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw expected("a string key") }
                    let slot = JSONKeyTable.token(after: row.fields.isEmpty ? parent : previous, first: row.fields.isEmpty)
                    let (key, id) = try parseKey(guess: slot)
                    skipSpace()
                    guard i < p.count, p[i] == UInt8(ascii: ":") else { throw expected("':' after a key") }
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
                    throw expected("',' or '}' in an object")
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
                    throw expected("',' or ']' in a list")
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
                throw error("unexpected \(JSONText.describeCharacter(at: i, in: p))")
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
                    guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw expected("a string key") }
                    try skipString()
                    skipSpace()
                    guard i < p.count, p[i] == UInt8(ascii: ":") else { throw expected("':' after a key") }
                    i += 1
                    skipSpace()
                    // Strings and numbers, most values, without a call and a dispatch each.
                    if i < p.count, p[i] == UInt8(ascii: "\"") {
                        try skipString()
                    } else if i < p.count, p[i] == UInt8(ascii: "-") || (p[i] >= 48 && p[i] <= 57) {
                        try skipNumber()
                    } else {
                        try skipValue(depth: depth + 1)
                    }
                    skipSpace()
                    guard i < p.count else { throw error("unexpected end of input in an object") }
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    if p[i] == UInt8(ascii: "}") { i += 1; return }
                    throw expected("',' or '}' in an object")
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
                    throw expected("',' or ']' in a list")
                }
            case UInt8(ascii: "\""):
                try skipString()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try skipNumber()
            default:
                _ = try parseValue(depth: depth)  // literals build nothing on the heap
            }
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
                        throw invalidUTF8(at: start + (UTF8Text.firstInvalid(slice) ?? 0))
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
    }
}
