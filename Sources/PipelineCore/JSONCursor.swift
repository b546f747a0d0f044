#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pull reading of one JSON document's objects, key by key, without building ``Value``s: the
/// normalizer's direct path from a row's JSON text to its normalized frame.
///
/// The grammar, limits and errors are ``JSONText/decode(_:exactFloats:keys:)``'s (one scanner serves
/// both). A caller walks an object with ``enterObject()``, ``toKey(first:)`` and ``readKey()``, looks at each value
/// with ``kind()``, and reads it (``readScalar()``, ``withString(_:)``) or steps over it
/// (``skipValue()``); ``position`` can be saved and restored to come back to a nested object later.
public struct JSONCursor {
    @usableFromInline var scanner: JSONText.Scanner

    /// The kind of the value at the cursor (white space skipped).
    public enum Kind { case object, array, string, scalar, invalid }

    @inlinable public init(_ bytes: UnsafeBufferPointer<UInt8>) { scanner = JSONText.Scanner(bytes) }

    /// Byte offset into the document.
    public var position: Int {
        get { scanner.i }
        set { scanner.i = newValue }
    }

    /// Reads the `{` of an object at the cursor; `false` (nothing read) when the value there is not one.
    @inlinable @inline(__always) public mutating func enterObject() -> Bool {
        scanner.skipSpace()
        guard scanner.i < scanner.p.count, scanner.p[scanner.i] == UInt8(ascii: "{") else { return false }
        scanner.i += 1
        return true
    }

    /// Steps to the next key of the object being read (past the `,` before it): `false` at the object's
    /// end (`}` read). `first` for the first call after ``enterObject()``, when no `,` comes first.
    @inlinable @inline(__always) public mutating func toKey(first: Bool) throws(JSONText.ParseError) -> Bool {
        guard try step(first: first, close: UInt8(ascii: "}")) else { return false }
        guard scanner.i < scanner.p.count, scanner.p[scanner.i] == UInt8(ascii: "\"") else {
            throw scanner.expected("a string key")
        }
        return true
    }

    /// Steps to the next item of the list being read (past the `,` before it): `false` at the list's end
    /// (`]` read). `first` for the first call after the `[`.
    @inlinable @inline(__always) public mutating func toItem(first: Bool) throws(JSONText.ParseError) -> Bool {
        try step(first: first, close: UInt8(ascii: "]"))
    }

    /// Past white space and, unless `first`, a `,`: `false` (and `close` read) at the container's end.
    @inlinable @inline(__always) mutating func step(first: Bool, close: UInt8) throws(JSONText.ParseError) -> Bool {
        scanner.skipSpace()
        guard scanner.i < scanner.p.count else { throw stepError(close: close) }
        if scanner.p[scanner.i] == close {
            scanner.i += 1
            return false
        }
        if !first {
            guard scanner.p[scanner.i] == UInt8(ascii: ",") else { throw stepError(close: close) }
            scanner.i += 1
            scanner.skipSpace()
        }
        return true
    }

    /// The error of ``step(first:close:)`` at the cursor: the input's end, or neither `,` nor `close`
    /// (out of line: the inlined step stays small).
    @usableFromInline func stepError(close: UInt8) -> JSONText.ParseError {
        let container = close == UInt8(ascii: "}") ? "an object" : "a list"
        guard scanner.i < scanner.p.count else { return scanner.error("unexpected end of input in \(container)") }
        return scanner.expected("',' or '\(Unicode.Scalar(close))' in \(container)")
    }

    /// Reads the key at the cursor and the `:` after it when the key is written exactly as `expected`
    /// (bytes holding no `"`, `\` or control character, so no escape can hide in the text); `false`,
    /// having read nothing, otherwise. Costs one comparison, no scan.
    @inlinable @inline(__always)
    public mutating func readKey(ifEqualTo expected: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = scanner.i + 1, end = start + expected.count
        guard end < scanner.p.count, scanner.p[end] == UInt8(ascii: "\""),
              expected.isEmpty || Self.equal(scanner.p.baseAddress! + start, expected.baseAddress!, expected.count)
        else { return false }
        var j = end + 1
        while j < scanner.p.count, scanner.p[j] == 0x20 || scanner.p[j] == 0x09 || scanner.p[j] == 0x0A || scanner.p[j] == 0x0D { j += 1 }
        guard j < scanner.p.count, scanner.p[j] == UInt8(ascii: ":") else { return false }
        scanner.i = j + 1
        scanner.skipSpace()
        return true
    }

    /// Whether `count` bytes at `a` and `b` are equal, eight at a time (keys are short: a call to `memcmp`
    /// cost more than the comparison).
    @inlinable @inline(__always)
    static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var i = 0
        while i + 8 <= count {
            if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) { return false }
            i += 8
        }
        if count >= 8 {
            // The last eight bytes, overlapping what was compared.
            return UnsafeRawPointer(a + count - 8).loadUnaligned(as: UInt64.self) == UnsafeRawPointer(b + count - 8).loadUnaligned(as: UInt64.self)
        }
        while i < count {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }

    /// Reads the key at the cursor and the `:` after it; returns its bytes as written, or `nil`, having
    /// read nothing, when it has escapes or control characters (the general path,
    /// ``JSONText/decode(_:exactFloats:keys:)``, reads those). The bytes are valid as long as the document's.
    public mutating func readKey() throws(JSONText.ParseError) -> UnsafeBufferPointer<UInt8>? {
        let start = scanner.i + 1
        let (j, _) = scanner.plainRun(from: start)
        guard j < scanner.p.count else { throw scanner.error("unterminated string") }
        guard scanner.p[j] == UInt8(ascii: "\"") else { return nil }
        scanner.i = j + 1
        scanner.skipSpace()
        guard scanner.i < scanner.p.count, scanner.p[scanner.i] == UInt8(ascii: ":") else {
            throw scanner.expected("':' after a key")
        }
        scanner.i += 1
        scanner.skipSpace()
        return UnsafeBufferPointer(rebasing: scanner.p[start..<j])
    }

    /// The kind of the value at the cursor.
    @inlinable @inline(__always) public mutating func kind() -> Kind {
        scanner.skipSpace()
        guard scanner.i < scanner.p.count else { return .invalid }
        switch scanner.p[scanner.i] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .scalar
        default: return .invalid
        }
    }

    /// A number as the decoder reads it, when it fits a 64-bit integer or is a float.
    public enum Number {
        case bigint(Int64)
        case double(Double)
    }

    /// Reads the number at the cursor when the decoder would read it as a ``Value/bigint(_:)`` or a
    /// ``Value/double(_:)``; `nil`, having read nothing, for anything else (`true`, `false`, `null`, an
    /// integer beyond 64 bits). Builds no ``Value``: the direct path's way to a number column.
    @inlinable @inline(__always)
    public mutating func readNumber() throws(JSONText.ParseError) -> Number? {
        if let plain = scanner.parsePlainInteger() { return .bigint(plain) }
        return try readOtherNumber()
    }

    /// ``readNumber()`` of a number that is not a plain integer (out of line).
    @usableFromInline mutating func readOtherNumber() throws(JSONText.ParseError) -> Number? {
        guard scanner.i < scanner.p.count, scanner.p[scanner.i] == UInt8(ascii: "-") || (scanner.p[scanner.i] >= 48 && scanner.p[scanner.i] <= 57)
        else { return nil }
        let start = scanner.i
        switch try scanner.parseNumber() {
        case .bigint(let i): return .bigint(i)
        case .double(let d): return .double(d)
        default:
            scanner.i = start
            return nil
        }
    }

    /// Reads the number at the cursor when it is a short decimal a double holds as its shortest text (see
    /// ``PackageFile/Tag/scaledDouble``): its digits (trailing zeros dropped), decimals and sign; `nil`,
    /// having read nothing, otherwise (then ``readNumber()`` or ``readScalar()`` reads it). Its double is
    /// the one ``readNumber()`` gives, `m / 10^k`: the direct path's way into a double column.
    @_transparent
    public mutating func readScaledDecimal() -> (m: UInt64, k: Int, negative: Bool)? {
        scanner.parseScaledDecimal()
    }

    /// Reads a number, `true`, `false` or `null` (``kind()`` is ``Kind/scalar``), as the decoder would.
    public mutating func readScalar() throws(JSONText.ParseError) -> Value {
        try scanner.parseValue(depth: 1)
    }

    /// Reads a string (``kind()`` is ``Kind/string``) and hands `body` its bytes, unescaped and checked
    /// as UTF-8; they are valid only inside `body`.
    public mutating func withString<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) throws(JSONText.ParseError) -> R {
        try scanner.withString { p, _ in body(p) }
    }

    /// ``withString(_:)``, telling `body` whether the string was written without escapes: its bytes then
    /// hold no `"`, `\` or control character (JSON allows none of them unescaped).
    public mutating func withPlainString<R>(_ body: (UnsafeBufferPointer<UInt8>, _ plain: Bool) -> R) throws(JSONText.ParseError) -> R {
        try scanner.withString(body)
    }

    /// Steps over the value at the cursor, checking it as the decoder would.
    public mutating func skipValue(depth: Int) throws(JSONText.ParseError) {
        try scanner.skipValue(depth: depth)
    }

    /// Steps over the object or list at the cursor (its `{` or `[`) by its strings and brackets alone,
    /// without checking its grammar: for text the caller reads again (whose reading checks it then), or
    /// text checked before. Throws when the input ends first; nesting deeper than the decoder allows is
    /// not noticed here (the reading again notices it).
    public mutating func skipNested() throws(JSONText.ParseError) {
        let p = scanner.p
        var i = scanner.i
        var depth = 0
        while i < p.count {
            switch p[i] {
            case UInt8(ascii: "\""):
                // A string: up to its closing quote, stepping over escapes (`\"` included).
                i += 1
                while true {
                    let (end, _) = JSONText.plainRun(p, from: i)
                    guard end < p.count else { throw scanner.error("unterminated string") }
                    if p[end] == UInt8(ascii: "\"") { i = end + 1; break }
                    i = p[end] == UInt8(ascii: "\\") ? end + 2 : end + 1  // an escape, or a control byte
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                i += 1
                if depth <= 0 {
                    scanner.i = i
                    return
                }
            default:
                i += 1
            }
        }
        throw scanner.error("unexpected end of input")
    }

    /// Reads `[]` (white space allowed inside) and returns `true`; `false`, having read nothing, when
    /// the list at the cursor has items.
    @inlinable public mutating func readEmptyList() -> Bool {
        var j = scanner.i + 1
        while j < scanner.p.count, scanner.p[j] == 0x20 || scanner.p[j] == 0x0A || scanner.p[j] == 0x0D || scanner.p[j] == 0x09 { j += 1 }
        guard j < scanner.p.count, scanner.p[j] == UInt8(ascii: "]") else { return false }
        scanner.i = j + 1
        return true
    }

    /// Whether only white space follows the cursor.
    public mutating func isAtEnd() -> Bool {
        scanner.skipSpace()
        return scanner.i == scanner.p.count
    }
}
