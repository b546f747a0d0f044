/// One scalar field of a normalized row, read in place from a package file's bytes.
///
/// `text`, `decimal` and `binary` point into the frame: valid only while the frame's storage is.
public enum FieldPayload {
    case null
    case bool(Bool)
    case bigint(Int64)
    case double(Double)
    case decimal(UnsafeBufferPointer<UInt8>)
    case text(UnsafeBufferPointer<UInt8>)
    case date(Int32)
    case timestamp(Int64)
    case binary(UnsafeBufferPointer<UInt8>)
}

/// Walks the `(column index, value)` pairs of a normalized row frame without allocating:
/// the hot path of every destination's load.
public struct FlatRowCursor {
    private let base: UnsafePointer<UInt8>
    private let end: Int
    private var offset: Int
    /// Number of fields in the row.
    public private(set) var count: Int = 0

    public init(_ frame: UnsafeBufferPointer<UInt8>) {
        base = frame.baseAddress!
        end = frame.count
        offset = 0
        count = readVarint()
    }

    @inline(__always) private mutating func readVarint() -> Int {
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

    @inline(__always) private mutating func readFixed64() -> UInt64 {
        var v: UInt64 = 0
        memcpyBytes(&v, base + offset)
        offset += 8
        return UInt64(littleEndian: v)
    }

    @inline(__always) private mutating func readSlice() -> UnsafeBufferPointer<UInt8> {
        let n = readVarint()
        defer { offset += n }
        return UnsafeBufferPointer(start: base + offset, count: n)
    }

    /// The next field, or `nil` after the last one.
    @inline(__always) public mutating func next() -> (column: Int, value: FieldPayload)? {
        guard offset < end else { return nil }
        let column = readVarint()
        let tag = base[offset]
        offset += 1
        switch PackageFile.Tag(rawValue: tag) {
        case .null: return (column, .null)
        case .falseValue: return (column, .bool(false))
        case .trueValue: return (column, .bool(true))
        case .bigint: return (column, .bigint(Int64(bitPattern: readFixed64())))
        case .double: return (column, .double(Double(bitPattern: readFixed64())))
        case .decimal: return (column, .decimal(readSlice()))
        case .text: return (column, .text(readSlice()))
        case .date: return (column, .date(Int32(truncatingIfNeeded: Int64(bitPattern: readFixed64()))))
        case .timestamp: return (column, .timestamp(Int64(bitPattern: readFixed64())))
        case .binary: return (column, .binary(readSlice()))
        case .object, .array, .jsonObject, .none:
            // Normalized rows hold scalars only; stop rather than misread.
            offset = end
            return nil
        }
    }
}

@inline(__always) private func memcpyBytes(_ dst: UnsafeMutablePointer<UInt64>, _ src: UnsafePointer<UInt8>) {
    UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: 8)
}

extension PackageFileWriter {
    /// Writes one normalized row: `(column index, scalar value)` pairs.
    public func writeFlatRow(_ fields: [(Int, Value)]) throws(SluiceError) {
        beginFrame()
        writeVarint(fields.count)
        for (column, value) in fields {
            writeVarint(column)
            writeValue(value)
        }
        try endFrame()
    }

    /// Writes one normalized row built by a ``FlatRowBuilder`` (the same frame as ``writeFlatRow(_:)-([(Int,Value)])``).
    public func writeFlatRow(_ row: FlatRowBuilder) throws(SluiceError) {
        beginFrame()
        writeVarint(row.count)
        buffer.append(contentsOf: row.bytes)
        try endFrame()
    }
}

/// The `(column index, value)` pairs of one normalized row, built up value by value (the format
/// ``FlatRowCursor`` reads), for ``PackageFileWriter/writeFlatRow(_:)-(FlatRowBuilder)``.
public struct FlatRowBuilder {
    public private(set) var count = 0
    var bytes: [UInt8] = []

    public init(reserving capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    public mutating func removeAll() {
        count = 0
        bytes.removeAll(keepingCapacity: true)
    }

    /// Appends a scalar value of column `column`.
    @inline(__always) public mutating func append(column: Int, _ value: Value) {
        count += 1
        PackageFile.appendVarint(column, to: &bytes)
        PackageFile.appendScalar(value, to: &bytes)
    }

    /// Appends a text value of column `column` from a `String` (its UTF-8 in place when contiguous, as
    /// native strings are: no copy of the string).
    @inline(__always) public mutating func append(column: Int, text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append(column: column, text: $0) }) == nil {
            append(column: column, .text(text))
        }
    }

    /// Appends a text value of column `column` from its UTF-8 bytes (checked by the caller).
    @inline(__always) public mutating func append(column: Int, text: UnsafeBufferPointer<UInt8>) {
        count += 1
        PackageFile.appendVarint(column, to: &bytes)
        bytes.append(PackageFile.Tag.text.rawValue)
        PackageFile.appendVarint(text.count, to: &bytes)
        bytes.append(contentsOf: text)
    }
}
