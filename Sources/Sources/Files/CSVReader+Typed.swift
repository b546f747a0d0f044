import PipelineCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The typed path: once the sample has fixed the column types, each field is parsed from its bytes
/// straight into an ``EncodedRow`` value. The fast parsers here decide only the cases they can decide
/// exactly as ``CSVReader/rawValue(_:_:line:column:given:inferring:)`` and ``CSVReader/convert(_:to:column:line:)``
/// would; anything else (doubled quotes, non-ASCII text outside text columns, long numbers, a date in a
/// form only ``Timestamps/coerce(_:epochSeconds:)`` reads, a value that is an error) takes that `String`
/// path, so both paths give the same values and errors.
extension CSVReader {
    /// A column of the typed path: its name, its type (inferred or given), and whether it was given.
    struct Column {
        let name: String
        let type: DataType?
        let given: DataType?
    }

    /// Encodes one record's fields (parsed by ``parseRecord(_:from:atEnd:delimiter:into:)``) into `row`.
    func encode(_ b: [UInt8], _ fields: [FieldRef], line: Int, columns: [Column], into row: inout EncodedRow) throws {
        row.removeAll()
        try b.withUnsafeBufferPointer { p in
            for k in fields.indices {
                let f = fields[k]
                if f.start == f.end {
                    // Empty: null unquoted, the empty text quoted (whatever the column's type).
                    if f.quoted { row.append(text: UnsafeBufferPointer(rebasing: p[f.start..<f.start])) } else { row.appendNull() }
                    continue
                }
                let column = columns[k]
                if !f.hasDoubledQuotes, Self.encodeFast(UnsafeBufferPointer(rebasing: p[f.start..<f.end]), column, into: &row) {
                    continue
                }
                let raw = try rawValue(b, f, line: line, column: column.name, given: column.given, inferring: false)
                try row.append(try convert(raw, to: column.type, column: column.name, line: line))
            }
        }
    }

    /// Appends the value of a non-empty field when a fast parser decides it; `false` leaves `row` as it was.
    static func encodeFast(_ bytes: UnsafeBufferPointer<UInt8>, _ column: Column, into row: inout EncodedRow) -> Bool {
        if let given = column.given {
            // Enforced: `Value.coerced(to:)` of the text; anything it would refuse takes the slow path (an error).
            switch given {
            case .text: return appendText(bytes, into: &row)
            case .bigint:
                guard let i = plainInteger(bytes) else { return false }
                row.append(bigint: i)
                return true
            case .double:
                switch exactNumber(bytes) {
                case .bigint(let i): row.append(double: Double(i))
                case .double(let d): row.append(double: d)
                default: return false
                }
                return true
            case .bool:
                guard let b = boolWord(bytes, inferring: false) else { return false }
                row.append(bool: b)
                return true
            case .timestamp:
                switch Timestamps.parse(bytes) {
                case .timestamp(let t)?: row.append(timestamp: t)
                case .date(let d)?: row.append(timestamp: Int64(d) * 86_400_000_000)
                case nil: return false
                }
                return true
            case .date:
                guard case .date(let d)? = Timestamps.parse(bytes) else { return false }
                row.append(date: d)
                return true
            default: return false
            }
        }
        // Inferred: `convert(_:to:)`; a value that does not fit keeps its own type.
        switch column.type {
        case nil: return inferOne(bytes, into: &row)
        case .text?: return appendText(bytes, into: &row)
        case .bigint?, .double?:
            switch exactNumber(bytes) {
            case .bigint(let i):
                if column.type == .double, i.magnitude < 1 << 53 { row.append(double: Double(i)) } else { row.append(bigint: i) }
            case .double(let d): row.append(double: d)
            case .notNumber: return inferOther(bytes, into: &row)
            case .undecided: return false
            }
            return true
        case .bool?:
            if let b = boolWord(bytes, inferring: false) {
                row.append(bool: b)
                return true
            }
            return inferOne(bytes, into: &row)
        case .timestamp?:
            switch Timestamps.parse(bytes) {
            case .timestamp(let t)?: row.append(timestamp: t)
            case .date(let d)?: row.append(timestamp: Int64(d) * 86_400_000_000)
            case nil: return false
            }
            return true
        case .date?:
            guard case .date(let d)? = Timestamps.parse(bytes) else { return false }
            row.append(date: d)
            return true
        default: return false
        }
    }

    /// ``inferOne(_:)`` from bytes.
    static func inferOne(_ bytes: UnsafeBufferPointer<UInt8>, into row: inout EncodedRow) -> Bool {
        switch exactNumber(bytes) {
        case .bigint(let i): row.append(bigint: i)
        case .double(let d): row.append(double: d)
        case .notNumber: return inferOther(bytes, into: &row)
        case .undecided: return false
        }
        return true
    }

    /// ``inferOne(_:)`` of a field that is not a number: bool, date, timestamp, else text. Only ASCII is
    /// decided here (`lowercased()` of other text is left to the slow path).
    static func inferOther(_ bytes: UnsafeBufferPointer<UInt8>, into row: inout EncodedRow) -> Bool {
        guard isASCII(bytes) else { return false }
        if let b = boolWord(bytes, inferring: true) {
            row.append(bool: b)
            return true
        }
        switch Timestamps.parse(bytes) {
        case .date(let d)?: row.append(date: d)
        case .timestamp(let t)?: row.append(timestamp: t)
        case nil: row.append(text: bytes)
        }
        return true
    }

    static func appendText(_ bytes: UnsafeBufferPointer<UInt8>, into row: inout EncodedRow) -> Bool {
        guard UTF8Text.isValid(bytes) else { return false }  // the slow path names the line and column
        row.append(text: bytes)
        return true
    }

    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in bytes where c >= 0x80 { return false }
        return true
    }

    /// `true`/`false` in any ASCII case when `inferring` (``inferOne(_:)``); also `yes`, `t`, `y`, `1`,
    /// `no`, `f`, `n`, `0` otherwise (``Value/coerced(to:)``). `nil` for anything else, non-ASCII included.
    static func boolWord(_ bytes: UnsafeBufferPointer<UInt8>, inferring: Bool) -> Bool? {
        guard bytes.count <= 5 else { return nil }
        var word: UInt64 = 0
        for c in bytes {
            guard c > 0, c < 0x80 else { return nil }  // a NUL would pack like nothing
            let lower = c >= 65 && c <= 90 ? c | 0x20 : c
            word = word << 8 | UInt64(lower)
        }
        if word == BoolWords.true { return true }
        if word == BoolWords.false { return false }
        if inferring { return nil }
        return BoolWords.coercedTrue.contains(word) ? true : BoolWords.coercedFalse.contains(word) ? false : nil
    }

    /// ASCII words packed big-endian into an integer, one byte a character.
    enum BoolWords {
        static func packed(_ s: String) -> UInt64 { s.utf8.reduce(0) { $0 << 8 | UInt64($1) } }
        static let `true` = packed("true"), `false` = packed("false")
        static let coercedTrue = ["yes", "t", "y", "1"].map(packed), coercedFalse = ["no", "f", "n", "0"].map(packed)
    }

    /// An optional sign and at most 18 digits: what `Int64(_:)` reads with no overflow to check.
    static func plainInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var negative = false
        if bytes.count > 0, bytes[0] == 45 || bytes[0] == 43 {
            negative = bytes[0] == 45
            i = 1
        }
        let digits = bytes.count - i
        guard digits > 0, digits <= 18 else { return nil }
        var v: Int64 = 0
        while i < bytes.count {
            let d = bytes[i] &- 48
            guard d < 10 else { return nil }
            v = v * 10 + Int64(d)
            i += 1
        }
        return negative ? -v : v
    }

    enum Number {
        case bigint(Int64)
        case double(Double)
        /// Not a number ``Value/exactNumber(_:)`` reads.
        case notNumber
        /// A decimal, or a number this fast parser leaves to ``Value/exactNumber(_:)``.
        case undecided
    }

    /// ``Value/exactNumber(_:)`` from bytes: the same grammar; integers that fit 64 bits and doubles of at
    /// most 15 significant digits whose power of ten is within 22 (Clinger's fast path: the mantissa and the
    /// power are exact doubles, so one multiplication or division rounds correctly, as `strtod` does).
    static func exactNumber(_ u: UnsafeBufferPointer<UInt8>) -> Number {
        let n = u.count
        var i = 0
        let negative = n > 0 && u[0] == 45
        if negative { i = 1 }
        var mantissa: Int64 = 0
        var significant = 0
        // The integer part: no leading zero unless it is the only digit.
        let intStart = i
        while i < n, u[i] &- 48 < 10 {
            if significant < 19 {
                mantissa = mantissa &* 10 &+ Int64(u[i] &- 48)
            }
            if u[i] != 48 || significant > 0 { significant += 1 }
            i += 1
        }
        let intDigits = i - intStart
        guard intDigits > 0, intDigits == 1 || u[intStart] != 48 else { return .notNumber }
        var scale = 0
        var isInteger = true
        if i < n, u[i] == 46 {
            i += 1
            let fractionStart = i
            while i < n, u[i] &- 48 < 10 {
                if u[i] != 48 || significant > 0 { significant += 1 }
                if significant <= 15 { mantissa = mantissa &* 10 &+ Int64(u[i] &- 48) }
                i += 1
            }
            guard i > fractionStart else { return .notNumber }
            scale = -(i - fractionStart)
            isInteger = false
        }
        if i < n, u[i] == 101 || u[i] == 69 {
            i += 1
            var exponentNegative = false
            if i < n, u[i] == 43 || u[i] == 45 {
                exponentNegative = u[i] == 45
                i += 1
            }
            let exponentStart = i
            var exponent = 0
            while i < n, u[i] &- 48 < 10 {
                if exponent < 100_000 { exponent = exponent * 10 + Int(u[i] &- 48) }
                i += 1
            }
            guard i > exponentStart else { return .notNumber }
            scale += exponentNegative ? -exponent : exponent
            isInteger = false
        }
        guard i == n else { return .notNumber }
        if isInteger {
            // At most 18 digits cannot overflow; 19 digits might, and longer ones are decimals.
            guard intDigits <= 18 else { return .undecided }
            return .bigint(negative ? -mantissa : mantissa)
        }
        guard significant <= 15, scale >= -22, scale <= 22 else { return .undecided }
        var d = Double(mantissa)
        d = scale < 0 ? d / JSONText.powerOfTen(-scale) : d * JSONText.powerOfTen(scale)
        return .double(negative ? -d : d)
    }
}
