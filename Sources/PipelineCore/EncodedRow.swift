#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A flat row already in the package file's tagged form: one value per key, in key order.
///
/// A reader of typed records (CSV) parses each field from its bytes straight into a tagged value
/// (a bigint, a double, a date... or text as its UTF-8 bytes) and hands the row to an
/// ``EncodedRowWriter``, which appends it to the extracted package file with the keys interned once
/// per file: no `String` per field and no ``Value`` per field on the way. ``decoded()`` gives the
/// same ``Row`` the normalizer reads back, for writers that need the values.
///
/// ```swift
/// let keys = EncodedRow.Keys(["id", "name"])
/// var row = EncodedRow(keys: keys)
/// row.append(bigint: 7)
/// try row.append(.text("Ada"))
/// ```
public struct EncodedRow: Sendable {
    /// The keys of a row, shared by every row a reader encodes with them (a CSV header).
    public final class Keys: Sendable {
        public let names: [String]
        /// Whether a name holds U+0000 (a destination may refuse it).
        let holdsNUL: Bool

        public init(_ names: [String]) {
            self.names = names
            holdsNUL = names.contains { $0.utf8.contains(0) }
        }
    }

    public let keys: Keys
    /// The tagged values, back to back.
    var bytes: [UInt8] = []
    /// Where each value starts in ``bytes``.
    var offsets: [Int] = []
    /// Whether a text value appended holds U+0000.
    var textHoldsNUL = false

    public init(keys: Keys) {
        self.keys = keys
        bytes.reserveCapacity(256)
        offsets.reserveCapacity(keys.names.count)
    }

    /// How many values were appended.
    public var count: Int { offsets.count }

    /// Whether a key or a text value holds U+0000, which some destinations cannot store.
    public var mayHoldNUL: Bool { keys.holdsNUL || textHoldsNUL }

    /// Empties the row to encode the next one, keeping its storage.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        textHoldsNUL = false
    }

    @inline(__always) private mutating func start(_ tag: PackageFile.Tag) {
        offsets.append(bytes.count)
        bytes.append(tag.rawValue)
    }

    @inline(__always) private mutating func fixed64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always) private mutating func varint(_ v: Int) {
        var v = UInt64(v)
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func appendNull() { start(.null) }

    public mutating func append(bool: Bool) { start(bool ? .trueValue : .falseValue) }

    public mutating func append(bigint: Int64) {
        start(.bigint)
        fixed64(UInt64(bitPattern: bigint))
    }

    public mutating func append(double: Double) {
        start(.double)
        fixed64(double.bitPattern)
    }

    /// A date as days since 1970-01-01.
    public mutating func append(date: Int32) {
        start(.date)
        fixed64(UInt64(bitPattern: Int64(date)))
    }

    /// A timestamp as microseconds since 1970-01-01T00:00:00Z.
    public mutating func append(timestamp: Int64) {
        start(.timestamp)
        fixed64(UInt64(bitPattern: timestamp))
    }

    /// Text given as its bytes, which the caller has checked are valid UTF-8 (``UTF8Text/isValid(_:)``).
    public mutating func append(text: UnsafeBufferPointer<UInt8>) {
        start(.text)
        varint(text.count)
        bytes.append(contentsOf: text)
        if let base = text.baseAddress, !textHoldsNUL, memchr(base, 0, text.count) != nil { textHoldsNUL = true }
    }

    /// Any value without nested values, encoded as ``PackageFileWriter/writeValue(_:)`` encodes it.
    /// Throws for an object or an array (their keys would need the file's interning): write such a row
    /// as a ``Row``.
    public mutating func append(_ value: Value) throws(SluiceError) {
        switch value {
        case .null: appendNull()
        case .bool(let b): append(bool: b)
        case .bigint(let i): append(bigint: i)
        case .double(let d): append(double: d)
        case .date(let d): append(date: d)
        case .timestamp(let t): append(timestamp: t)
        case .text(var s): s.withUTF8 { append(text: $0) }
        case .decimal(var s):
            start(.decimal)
            s.withUTF8 { p in
                varint(p.count)
                bytes.append(contentsOf: p)
            }
        case .binary(let b):
            start(.binary)
            varint(b.count)
            bytes.append(contentsOf: b)
        case .object, .array:
            throw SluiceError(.package, "an encoded row holds no nested values; write the row as a Row")
        }
    }

    /// The row as the normalizer reads it back.
    public func decoded() throws(SluiceError) -> Row {
        guard offsets.count == keys.names.count else {
            throw SluiceError(.package, "an encoded row has \(offsets.count) values for \(keys.names.count) keys")
        }
        var decoder = FrameDecoder(bytes: bytes)
        var row = Row()
        row.fields.reserveCapacity(offsets.count)
        for name in keys.names { row.fields.append(Row.Field(name, try decoder.readValue())) }
        return row
    }
}

/// A ``RowWriter`` that also takes rows already encoded (see ``EncodedRow``). The engine's extract writer
/// is one; a reader asks `out as? any EncodedRowWriter` and writes ``Row``s to any other writer.
public protocol EncodedRowWriter: RowWriter {
    /// Writes one row, with the same effect as writing ``EncodedRow/decoded()`` with ``RowWriter/write(_:)``.
    func write(encoded row: EncodedRow) async throws
}

extension PackageFileWriter {
    /// Writes a flat row a reader encoded as one frame (extracted files): the same bytes ``writeRow(_:)``
    /// writes for ``EncodedRow/decoded()``. The keys are interned once per key set, not looked up per row.
    public func writeEncodedRow(_ row: EncodedRow) throws(SluiceError) {
        let names = row.keys.names
        guard row.offsets.count == names.count else {
            throw SluiceError(.package, "an encoded row has \(row.offsets.count) values for \(names.count) keys")
        }
        beginFrame()
        buffer.append(PackageFile.Tag.object.rawValue)
        writeVarint(names.count)
        row.bytes.withUnsafeBufferPointer { values in
            if let cached = encodedKeys, cached.keys === row.keys {
                cached.references.withUnsafeBufferPointer { references in
                    var from = 0
                    for k in 0..<names.count {
                        let end = k + 1 < names.count ? row.offsets[k + 1] : values.count
                        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: references[from..<cached.ends[k]]))
                        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: values[row.offsets[k]..<end]))
                        from = cached.ends[k]
                    }
                }
                return
            }
            // The first row with these keys interns them; later rows refer to them.
            var references: [UInt8] = []
            var ends: [Int] = []
            for k in 0..<names.count {
                let id = writeKey(names[k])
                let end = k + 1 < names.count ? row.offsets[k + 1] : values.count
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: values[row.offsets[k]..<end]))
                var v = UInt64(id << 1 | 1)
                while v >= 0x80 {
                    references.append(UInt8(v & 0x7f) | 0x80)
                    v >>= 7
                }
                references.append(UInt8(v))
                ends.append(references.count)
            }
            encodedKeys = (row.keys, references, ends)
        }
        try endFrame()
    }
}
