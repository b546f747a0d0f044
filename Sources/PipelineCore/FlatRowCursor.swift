/// One scalar field of a normalized row, read in place from a package file's bytes.
///
/// `text`, `decimal` and `binary` point into the frame: valid only while the frame's storage is.
public enum FieldPayload {
    case null
    case bool(Bool)
    case bigint(Int64)
    case double(Double)
    /// A double stored as the short decimal it was read from (``PackageFile/Tag/scaledDouble``): its digits
    /// `m`, and its decimals `k` (0...6) plus 0x80 when negative. ``scaledDouble(_:_:)`` gives the double
    /// (`m / 10^k`, as the parse gave it); its shortest text, what `description` writes, is `m` with a point
    /// `k` digits from the right (`.0` after it when `k` is 0), so a text writer copies the digits.
    case scaledDouble(UInt64, UInt8)
    case decimal(UnsafeBufferPointer<UInt8>)
    case text(UnsafeBufferPointer<UInt8>)
    case date(Int32)
    case timestamp(Int64)
    case binary(UnsafeBufferPointer<UInt8>)
}

extension FieldPayload {
    /// The double of a ``scaledDouble(_:_:)`` payload: digits `m`, and `k` decimals with 0x80 for a minus sign.
    @inlinable @inline(__always) public static func scaledDouble(_ m: UInt64, _ k: UInt8) -> Double {
        let d = Double(m) / JSONText.powerOfTen(Int(k & 0x7F))
        return k & 0x80 == 0 ? d : -d
    }
}

/// Walks the `(column index, value)` pairs of a normalized row frame without allocating:
/// the hot path of every destination's load.
public struct FlatRowCursor {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    @usableFromInline var offset: Int
    /// Number of fields in the row.
    public var count: Int { fields }
    @usableFromInline var fields = 0
    /// Whether the text ``next()`` returned last is known to hold no `"`, `\` or control character (see
    /// ``PackageFile/Tag/plainText``): a JSON writer copies it as it is.
    public var textIsPlain: Bool { plain }
    @usableFromInline var plain = false
    /// The tag ``next()`` stopped at when it could not read a value (`nil`: none): see ``checkEnd()``.
    @usableFromInline var unreadable: UInt8?

    public init(_ frame: UnsafeBufferPointer<UInt8>) {
        base = frame.baseAddress!
        end = frame.count
        offset = 0
        fields = readVarint()
    }

    @inlinable @inline(__always) mutating func readVarint() -> Int {
        var result = 0
        var shift = 0
        while offset < end {
            let b = base[offset]
            offset += 1
            result |= Int(b & 0x7f) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return result
    }

    @inlinable @inline(__always) mutating func readFixed64() -> UInt64 {
        let v = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
        offset += 8
        return UInt64(littleEndian: v)
    }

    @inlinable @inline(__always) mutating func readSlice() -> UnsafeBufferPointer<UInt8> {
        let n = readVarint()
        defer { offset += n }
        return UnsafeBufferPointer(start: base + offset, count: n)
    }

    /// The next field, or `nil` after the last one.
    @inlinable @inline(__always) public mutating func next() -> (column: Int, value: FieldPayload)? {
        guard offset < end else { return nil }
        let column = readVarint()
        let tag = base[offset]
        offset += 1
        // On the byte itself (`Tag(rawValue:)` was a call per value).
        switch tag {
        case PackageFile.Tag.null.rawValue: return (column, .null)
        case PackageFile.Tag.falseValue.rawValue: return (column, .bool(false))
        case PackageFile.Tag.trueValue.rawValue: return (column, .bool(true))
        case PackageFile.Tag.smallBigint.rawValue:
            return (column, .bigint(ZigZag.decode(UInt64(UInt(bitPattern: readVarint())))))
        case PackageFile.Tag.bigint.rawValue: return (column, .bigint(Int64(bitPattern: readFixed64())))
        case PackageFile.Tag.double.rawValue: return (column, .double(Double(bitPattern: readFixed64())))
        case PackageFile.Tag.scaledDouble.rawValue:
            let m = UInt64(readVarint())
            guard offset < end else {
                unreadable = tag
                return nil
            }
            offset += 1
            return (column, .scaledDouble(m, base[offset - 1]))
        case PackageFile.Tag.decimal.rawValue: return (column, .decimal(readSlice()))
        case PackageFile.Tag.text.rawValue:
            plain = false
            return (column, .text(readSlice()))
        case PackageFile.Tag.plainText.rawValue:
            plain = true
            return (column, .text(readSlice()))
        case PackageFile.Tag.date.rawValue: return (column, .date(Int32(truncatingIfNeeded: Int64(bitPattern: readFixed64()))))
        case PackageFile.Tag.timestamp.rawValue: return (column, .timestamp(Int64(bitPattern: readFixed64())))
        case PackageFile.Tag.binary.rawValue: return (column, .binary(readSlice()))
        default:
            // Normalized rows hold scalars only (an object, a list, a JSON row, an unknown tag): stop rather than misread.
            unreadable = tag
            offset = end
            return nil
        }
    }

    /// Throws when ``next()`` ended the row at a value it could not read rather than at the row's end: a
    /// tag it does not know (a package written by another version of sluice) or a value cut short. Call it
    /// after the last ``next()``: a row is never loaded with its later values silently missing.
    @inlinable public func checkEnd() throws(SluiceError) {
        if let tag = unreadable { throw Self.unreadableValue(tag) }
    }

    @usableFromInline static func unreadableValue(_ tag: UInt8) -> SluiceError {
        SluiceError(.package, "a normalized row holds a value this version of sluice cannot read (tag \(tag)): the package was "
            + "written by another version; load it with that version, or drop it (`sluice packages PIPELINE --drop ID`)")
    }
}

extension PackageFileWriter {
    /// Writes one normalized row: `(column index, scalar value)` pairs.
    public func writeFlatRow(_ fields: [(Int, Value)]) throws(SluiceError) {
        beginFrame()
        writeVarint(fields.count)
        for (column, value) in fields {
            writeVarint(column)
            if case .bigint(let i) = value {
                // As ``FlatRowBuilder`` writes one (``PackageFile/Tag/smallBigint``).
                buffer.append(PackageFile.Tag.smallBigint.rawValue)
                writeVarint(Int(bitPattern: UInt(ZigZag.encode(i))))
            } else {
                writeValue(value)
            }
        }
        try endFrame()
    }

    /// Writes one normalized row built by a ``FlatRowBuilder`` (the same frame as ``writeFlatRow(_:)-([(Int,Value)])``).
    public func writeFlatRow(_ row: borrowing FlatRowBuilder) throws(SluiceError) {
        beginFrame()
        writeVarint(row.count)
        if let base = row.base { buffer.append(contentsOf: UnsafeBufferPointer(start: base, count: row.used)) }
        try endFrame()
    }
}

/// The `(column index, value)` pairs of one normalized row, built up value by value (the format
/// ``FlatRowCursor`` reads), for ``PackageFileWriter/writeFlatRow(_:)-(FlatRowBuilder)``.
///
/// Noncopyable, over memory of its own (freed with it): a value costs one capacity check and its bytes,
/// with no reference count and no uniqueness check (an array's storage cost both, in a loop where the
/// normalizer appends some twenty values per row). Inlinable, so the normalizer's calls become its stores.
public struct FlatRowBuilder: ~Copyable {
    /// Number of values appended since the last ``removeAll()``.
    public var count: Int { fields }
    @usableFromInline var fields = 0
    /// The frame is `base[..<used]`; `base[used..<capacity]` is room for the next values.
    @usableFromInline var base: UnsafeMutablePointer<UInt8>?
    @usableFromInline var capacity: Int
    @usableFromInline var used = 0

    /// A builder with room for `capacity` bytes of values (it grows as needed; 0 allocates nothing yet).
    public init(reserving capacity: Int = 1024) {
        self.capacity = max(capacity, 0)
        base = capacity > 0 ? .allocate(capacity: capacity) : nil
    }

    deinit { base?.deallocate() }

    /// Forgets the values, keeping the memory.
    @inlinable public mutating func removeAll() {
        fields = 0
        used = 0
    }

    /// Makes room for `bound` more bytes (at least doubling).
    @usableFromInline mutating func grow(by bound: Int) {
        let size = max(used + bound, capacity * 2, 256)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        if let base {
            bigger.update(from: base, count: used)
            base.deallocate()
        }
        base = bigger
        capacity = size
    }

    /// Writes at most `bound` bytes at the end with `body`, which returns how many it wrote.
    @inlinable @inline(__always) mutating func write(atMost bound: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        if used + bound > capacity { grow(by: bound) }
        used += body(base.unsafelyUnwrapped + used)
    }

    /// LEB128 of `v`'s bit pattern (a zigzag bigint may use all 64 bits).
    @inlinable @inline(__always) static func varint(_ v: Int, at p: UnsafeMutablePointer<UInt8>) -> Int {
        var v = UInt64(UInt(bitPattern: v))
        var n = 0
        while v >= 0x80 {
            p[n] = UInt8(v & 0x7f) | 0x80
            v >>= 7
            n += 1
        }
        p[n] = UInt8(v)
        return n + 1
    }

    @inlinable @inline(__always) mutating func fixed64(column: Int, _ tag: PackageFile.Tag, _ v: UInt64) {
        fields += 1
        write(atMost: 19) { p in
            let n = Self.varint(column, at: p)
            p[n] = tag.rawValue
            UnsafeMutableRawPointer(p + n + 1).storeBytes(of: v.littleEndian, as: UInt64.self)
            return n + 9
        }
    }

    @inlinable @inline(__always) mutating func bytes(column: Int, _ tag: PackageFile.Tag, _ bytes: UnsafeBufferPointer<UInt8>) {
        fields += 1
        write(atMost: 21 + bytes.count) { p in
            var n = Self.varint(column, at: p)
            p[n] = tag.rawValue
            n += 1
            n += Self.varint(bytes.count, at: p + n)
            if let base = bytes.baseAddress { (p + n).update(from: base, count: bytes.count) }
            return n + bytes.count
        }
    }

    /// Appends a bigint value of column `column` (``PackageFile/Tag/smallBigint``: a zigzag varint).
    @inlinable @inline(__always) public mutating func append(column: Int, bigint: Int64) {
        fields += 1
        write(atMost: 21) { p in
            var n = Self.varint(column, at: p)
            p[n] = PackageFile.Tag.smallBigint.rawValue
            n += 1
            return n + Self.varint(Int(bitPattern: UInt(ZigZag.encode(bigint))), at: p + n)
        }
    }

    /// Appends a double value of column `column`.
    @inlinable @inline(__always) public mutating func append(column: Int, double: Double) {
        fixed64(column: column, .double, double.bitPattern)
    }

    /// Appends a double read from a short decimal, as its digits `m` and decimals `k` (see
    /// ``PackageFile/Tag/scaledDouble`` for what they must be).
    @inlinable @inline(__always) public mutating func append(column: Int, scaled m: UInt64, decimals k: Int, negative: Bool) {
        fields += 1
        write(atMost: 22) { p in
            var n = Self.varint(column, at: p)
            p[n] = PackageFile.Tag.scaledDouble.rawValue
            n += 1
            n += Self.varint(Int(m), at: p + n)
            p[n] = UInt8(k) | (negative ? 0x80 : 0)
            return n + 1
        }
    }

    /// Appends a scalar value of column `column`.
    public mutating func append(column: Int, _ value: Value) {
        switch value {
        case .bigint(let i): append(column: column, bigint: i)
        case .double(let d): fixed64(column: column, .double, d.bitPattern)
        case .timestamp(let t): fixed64(column: column, .timestamp, UInt64(bitPattern: t))
        case .date(let d): fixed64(column: column, .date, UInt64(bitPattern: Int64(d)))
        case .text(let s): append(column: column, text: s)
        case .null, .bool:
            fields += 1
            let tag: PackageFile.Tag = if case .bool(let b) = value { b ? .trueValue : .falseValue } else { .null }
            write(atMost: 11) { p in
                let n = Self.varint(column, at: p)
                p[n] = tag.rawValue
                return n + 1
            }
        case .decimal(let s):
            var s = s
            s.withUTF8 { bytes(column: column, .decimal, $0) }
        case .binary(let b): b.withUnsafeBufferPointer { bytes(column: column, .binary, $0) }
        case .object, .array: preconditionFailure("appendScalar of a nested value")
        }
    }

    /// Appends a text value of column `column` from a `String` (its UTF-8 in place when contiguous, as
    /// native strings are: no copy of the string).
    public mutating func append(column: Int, text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append(column: column, text: $0) }) == nil {
            var copy = text  // a bridged or lazy string: made contiguous
            copy.withUTF8 { append(column: column, text: $0) }
        }
    }

    /// Appends a text value of column `column` from its UTF-8 bytes (checked by the caller).
    @inlinable @inline(__always) public mutating func append(column: Int, text: UnsafeBufferPointer<UInt8>) {
        bytes(column: column, .text, text)
    }

    /// Appends a text value that holds no `"`, `\` or control character (``PackageFile/Tag/plainText``).
    @inlinable @inline(__always) public mutating func append(column: Int, plainText text: UnsafeBufferPointer<UInt8>) {
        bytes(column: column, .plainText, text)
    }
}
