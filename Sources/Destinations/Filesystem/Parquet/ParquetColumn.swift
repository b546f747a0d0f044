import PipelineCore

/// One column of a Parquet file: its schema element, and the values of the row group being written.
///
/// Types follow the schema: bigint -> INT64, double -> DOUBLE, bool -> BOOLEAN, text -> BYTE_ARRAY
/// STRING, json -> BYTE_ARRAY JSON, binary -> BYTE_ARRAY, timestamp -> INT64 TIMESTAMP(MICROS, UTC),
/// date -> INT32 DATE, decimal -> FIXED_LEN_BYTE_ARRAY(16) DECIMAL(38, 9) (dlt's default precision).
/// Every column but booleans is dictionary-encoded, as pyarrow does, until the row group's dictionary
/// passes 1 MiB (pyarrow's limit), or until ``cardinalityCheck`` values of which more than 90% are
/// distinct (ids, timestamps, long text: there the indices cost more than the repeats save, and a large
/// table only misses the cache); its values so far and the rest of the row group are then PLAIN.
struct ParquetColumn {
    enum Physical: Int32 {
        case boolean = 0, int32 = 1, int64 = 2, double = 5, byteArray = 6, fixedLenByteArray = 7
    }

    static let decimalPrecision = 38
    static let decimalScale = 9
    static let dictionaryLimit = 1 << 20
    /// The count of a row group's values after which a column whose values were nearly all distinct is PLAIN.
    static let cardinalityCheck = 8192

    let name: String
    let table: String
    let dataType: DataType
    let physical: Physical
    let optional: Bool

    /// Definition levels of the row group (optional columns): 1 for a value, 0 for a null.
    private(set) var definitionLevels: [UInt8] = []
    /// PLAIN values (booleans one byte each until the page packs them).
    private(set) var plain: [UInt8] = []
    /// The dictionary of a byte-array or decimal column.
    private(set) var dictionary: ByteDictionary?
    /// The dictionary of an INT32, INT64 or DOUBLE column.
    private(set) var fixedDictionary: FixedDictionary?
    /// Bytes per value of an INT32, INT64 or DOUBLE column.
    private let width: Int
    private(set) var indices: [UInt32] = []
    private(set) var rows = 0
    private(set) var nulls = 0

    init(_ column: ColumnSchema, table: String) {
        name = column.name
        self.table = table
        dataType = column.dataType
        optional = column.nullable
        switch column.dataType {
        case .bigint, .timestamp: physical = .int64
        case .double: physical = .double
        case .bool: physical = .boolean
        case .date: physical = .int32
        case .decimal: physical = .fixedLenByteArray
        case .text, .json, .binary: physical = .byteArray
        }
        width = physical == .int32 ? 4 : 8
        makeDictionary()
    }

    private mutating func makeDictionary() {
        dictionary = nil
        fixedDictionary = nil
        switch physical {
        case .boolean: break
        case .int32, .int64, .double: fixedDictionary = FixedDictionary()
        case .byteArray, .fixedLenByteArray: dictionary = ByteDictionary()
        }
    }

    /// Entries in the row group's dictionary.
    var dictionaryCount: Int { dictionary?.count ?? fixedDictionary?.count ?? 0 }

    /// Bytes held for the row group.
    var bufferedBytes: Int { plain.count + definitionLevels.count + indices.count * 4 + (dictionary?.byteCount ?? 0)
        + (fixedDictionary?.count ?? 0) * width }

    @inline(__always) private mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { plain.append(contentsOf: $0) }
    }

    mutating func appendNull() throws {
        guard optional else {
            throw SluiceError(.badInput, "a row has no value for a column that may not be null", column: name, table: table)
        }
        definitionLevels.append(0)
        rows += 1
        nulls += 1
    }

    @inline(__always) mutating func append(_ value: FieldPayload) throws {
        switch (physical, value) {
        case (.int64, .bigint(let i)), (.int64, .timestamp(let i)): addFixed(UInt64(bitPattern: i))
        case (.int32, .date(let d)): addFixed(UInt64(UInt32(bitPattern: d)))
        case (.double, .double(let d)): addFixed(d.bitPattern)
        case (.double, .scaledDouble(let m, let k)): addFixed(FieldPayload.scaledDouble(m, k).bitPattern)
        case (.double, .bigint(let i)): addFixed(Double(i).bitPattern)
        case (.boolean, .bool(let b)): plain.append(b ? 1 : 0)
        case (.byteArray, .text(let p)), (.byteArray, .binary(let p)): add(p)
        case (.fixedLenByteArray, .decimal(let p)):
            guard let bytes = DecimalEncoding.bigEndian128(p, scale: Self.decimalScale, precision: Self.decimalPrecision) else {
                throw SluiceError(.badInput, "the decimal \(String(decoding: p, as: UTF8.self)) does not fit DECIMAL(\(Self.decimalPrecision), "
                    + "\(Self.decimalScale)) exactly (at most \(Self.decimalPrecision - Self.decimalScale) integer and \(Self.decimalScale) fraction digits)",
                    column: name, table: table)
            }
            bytes.withUnsafeBufferPointer { add($0) }
        default:
            throw SluiceError(.badInput, "a value of another type in a \(dataType.rawValue) column", column: name, table: table)
        }
        if optional { definitionLevels.append(1) }
        rows += 1
    }

    /// Adds a value given as its PLAIN bytes (without a byte array's length): to the dictionary, or PLAIN.
    @inline(__always) private mutating func add(_ p: UnsafeBufferPointer<UInt8>) {
        if dictionary != nil {
            indices.append(dictionary!.index(of: p))
            if dictionary!.byteCount > Self.dictionaryLimit || mostlyDistinct(dictionary!.count) { fallBackToPlain() }
        } else {
            if physical == .byteArray { appendLE(UInt32(p.count)) }
            plain.append(contentsOf: p)
        }
    }

    /// Adds an INT32 (low 4 bytes), INT64 or DOUBLE value: to the dictionary, or PLAIN.
    @inline(__always) private mutating func addFixed(_ v: UInt64) {
        if fixedDictionary != nil {
            indices.append(fixedDictionary!.index(of: v))
            if fixedDictionary!.count * width > Self.dictionaryLimit || mostlyDistinct(fixedDictionary!.count) { fallBackToPlain() }
        } else {
            appendPlain(v)
        }
    }

    /// Whether the row group's values, at ``cardinalityCheck`` of them, were more than 90% distinct.
    @inline(__always) private func mostlyDistinct(_ distinct: Int) -> Bool {
        indices.count == Self.cardinalityCheck && distinct * 10 > Self.cardinalityCheck * 9
    }

    @inline(__always) private mutating func appendPlain(_ v: UInt64) {
        if width == 4 { appendLE(UInt32(truncatingIfNeeded: v)) } else { appendLE(v) }
    }

    /// The dictionary grew past the limit: the row group's values so far become PLAIN, and so do the rest.
    private mutating func fallBackToPlain() {
        if let fixedDictionary {
            for index in indices { appendPlain(fixedDictionary.values[Int(index)]) }
        } else if let dictionary {
            for index in indices {
                dictionary.withValue(Int(index)) { p in
                    if physical == .byteArray { appendLE(UInt32(p.count)) }
                    plain.append(contentsOf: p)
                }
            }
        }
        indices = []
        dictionary = nil
        fixedDictionary = nil
    }

    /// Empties the column for the next row group (dictionary encoding is tried again).
    mutating func reset() {
        definitionLevels.removeAll(keepingCapacity: true)
        plain.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
        makeDictionary()
        rows = 0
        nulls = 0
    }

    /// Whether the row group's values are dictionary-encoded.
    var isDictionaryEncoded: Bool { dictionaryCount > 0 }

    /// The PLAIN bytes of the dictionary page.
    func dictionaryPage() -> [UInt8] {
        var out: [UInt8] = []
        if let fixedDictionary {
            out.reserveCapacity(fixedDictionary.count * width)
            for v in fixedDictionary.values {
                if width == 4 {
                    withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { out.append(contentsOf: $0) }
                } else {
                    withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
                }
            }
        } else if let dictionary {
            out.reserveCapacity(dictionary.byteCount + dictionary.count * 4)
            for k in 0..<dictionary.count {
                dictionary.withValue(k) { p in
                    if physical == .byteArray { withUnsafeBytes(of: UInt32(p.count).littleEndian) { out.append(contentsOf: $0) } }
                    out.append(contentsOf: p)
                }
            }
        }
        return out
    }

    /// The body of the row group's data page (version 1): definition levels (length-prefixed RLE) for an
    /// optional column, then the values: dictionary indices (bit width byte and RLE), packed booleans, or PLAIN.
    func dataPage() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(plain.count + indices.count * 2 + definitionLevels.count / 4 + 16)
        if optional {
            var levels: [UInt8] = []
            RLEHybrid.encode(definitionLevels, bitWidth: 1, into: &levels)
            withUnsafeBytes(of: UInt32(levels.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: levels)
        }
        if isDictionaryEncoded {
            let width = max(1, RLEHybrid.bitWidth(forMax: dictionaryCount - 1))
            out.append(UInt8(width))
            RLEHybrid.encode(indices, bitWidth: width, into: &out)
        } else if physical == .boolean {
            var byte: UInt8 = 0
            for (k, b) in plain.enumerated() {
                byte |= b << UInt8(k & 7)
                if k & 7 == 7 {
                    out.append(byte)
                    byte = 0
                }
            }
            if plain.count & 7 != 0 { out.append(byte) }
        } else {
            out.append(contentsOf: plain)
        }
        return out
    }
}
