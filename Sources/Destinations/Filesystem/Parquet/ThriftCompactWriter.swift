import PipelineCore

/// Thrift's compact protocol, the encoding of Parquet's metadata (the file footer and page headers):
/// only what writing needs.
///
/// A struct is a sequence of fields, each a header byte (the field id as a delta from the previous
/// field's, 1...15, in the high nibble, and the type in the low nibble; else the type byte then the id
/// as a zigzag varint) and its value, ended by a stop byte (0). Integers are zigzag varints, binaries a
/// varint length and the bytes, lists a header (size < 15 in the high nibble, else 0xF and a varint
/// size) and the elements, booleans as the field's type (1 true, 2 false).
struct ThriftCompactWriter {
    enum FieldType: UInt8 {
        case boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7, binary = 8, list = 9, set = 10, map = 11
        case structure = 12
    }

    private(set) var bytes: [UInt8] = []
    /// The last field id written, per open struct (the innermost last).
    private var lastField: [Int16] = [0]

    init() { bytes.reserveCapacity(256) }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func zigzag(_ value: Int64) { varint(ZigZag.encode(value)) }

    private mutating func fieldHeader(_ id: Int16, _ type: FieldType) {
        let delta = Int(id) - Int(lastField[lastField.count - 1])
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzag(Int64(id))
        }
        lastField[lastField.count - 1] = id
    }

    mutating func field(_ id: Int16, i32 value: Int32) {
        fieldHeader(id, .i32)
        zigzag(Int64(value))
    }

    mutating func field(_ id: Int16, i64 value: Int64) {
        fieldHeader(id, .i64)
        zigzag(value)
    }

    mutating func field(_ id: Int16, bool value: Bool) { fieldHeader(id, value ? .boolTrue : .boolFalse) }

    mutating func field(_ id: Int16, binary value: [UInt8]) {
        fieldHeader(id, .binary)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func field(_ id: Int16, string value: String) { field(id, binary: Array(value.utf8)) }

    /// Opens a struct-valued field; close it with ``endStruct()``.
    mutating func beginStruct(_ id: Int16) {
        fieldHeader(id, .structure)
        lastField.append(0)
    }

    /// Ends the innermost struct (a struct field, a struct element of a list, or the top-level struct).
    mutating func endStruct() {
        bytes.append(0)
        if lastField.count > 1 { lastField.removeLast() }
    }

    /// A list field's header; the caller then writes `count` elements of `type`.
    mutating func beginList(_ id: Int16, of type: FieldType, count: Int) {
        fieldHeader(id, .list)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | type.rawValue)
        } else {
            bytes.append(0xF0 | type.rawValue)
            varint(UInt64(count))
        }
    }

    /// Opens a struct element of a list; close it with ``endStruct()``.
    mutating func beginElement() { lastField.append(0) }

    mutating func element(i32 value: Int32) { zigzag(Int64(value)) }

    mutating func element(string value: String) {
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }
}
