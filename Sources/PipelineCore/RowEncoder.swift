import struct Foundation.Date
import struct Foundation.Decimal
import struct Foundation.Data
import struct Foundation.URL
import struct Foundation.UUID

/// Encodes any `Encodable` value into a ``Row`` directly, without building a dictionary per row.
///
/// Field names come from `CodingKeys` (normalization later turns them into snake_case columns);
/// nested structs become nested objects, arrays become lists, `Date` becomes a timestamp,
/// `Decimal` an exact decimal, `Data` binary, and `nil` optionals are left out.
public struct RowEncoder: Sendable {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> Row {
        let encoder = _RowEncoder()
        switch try encoder.box(value) {
        case .object(let row): return row
        case let other: return Row([Row.Field("value", other)])
        }
    }
}

private final class Box {
    var value: Value
    init(_ value: Value) { self.value = value }
}

private final class _RowEncoder: Encoder {
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    var storage: Box?

    func box<T: Encodable>(_ value: T) throws -> Value {
        switch value {
        case let date as Date: return .timestamp(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
        case let decimal as Decimal: return .decimal("\(decimal)")
        case let data as Data: return .binary([UInt8](data))
        case let url as URL: return .text(url.absoluteString)
        case let uuid as UUID: return .text(uuid.uuidString.lowercased())
        case let v as Value: return v
        case let r as Row: return .object(r)
        default:
            let encoder = _RowEncoder()
            encoder.codingPath = codingPath
            try value.encode(to: encoder)
            return encoder.storage?.value ?? .null
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box = storage ?? Box(.object(Row()))
        storage = box
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, box: box))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box = storage ?? Box(.array([]))
        storage = box
        return UnkeyedContainer(encoder: self, box: box)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(encoder: self)
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: _RowEncoder
        let box: Box
        var codingPath: [any CodingKey] { encoder.codingPath }

        private func append(_ key: Key, _ value: Value) {
            guard case .object(var row) = box.value else { return }
            box.value = .null  // keep the row uniquely referenced while appending
            row.fields.append(Row.Field(key.stringValue, value))
            box.value = .object(row)
        }

        mutating func encodeNil(forKey key: Key) throws { append(key, .null) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { append(key, .bool(value)) }
        mutating func encode(_ value: String, forKey key: Key) throws { append(key, .text(value)) }
        mutating func encode(_ value: Double, forKey key: Key) throws { append(key, .double(value)) }
        mutating func encode(_ value: Float, forKey key: Key) throws { append(key, .double(Double(value))) }
        mutating func encode(_ value: Int, forKey key: Key) throws { append(key, .bigint(Int64(value))) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { append(key, .bigint(Int64(value))) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { append(key, .bigint(Int64(value))) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { append(key, .bigint(Int64(value))) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { append(key, .bigint(value)) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { append(key, try unsigned(UInt64(value))) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { append(key, .bigint(Int64(value))) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { append(key, .bigint(Int64(value))) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { append(key, .bigint(Int64(value))) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { append(key, try unsigned(value)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            encoder.codingPath.append(key)
            defer { encoder.codingPath.removeLast() }
            append(key, try encoder.box(value))
        }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) }
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey>
        {
            let nested = _RowEncoder()
            let box = Box(.object(Row()))
            nested.storage = box
            append(key, .null)
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: nested, box: box))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            UnkeyedContainer(encoder: _RowEncoder(), box: Box(.array([])))
        }
        mutating func superEncoder() -> any Encoder { encoder }
        mutating func superEncoder(forKey key: Key) -> any Encoder { encoder }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let encoder: _RowEncoder
        let box: Box
        var codingPath: [any CodingKey] { encoder.codingPath }
        var count: Int { if case .array(let a) = box.value { return a.count } else { return 0 } }

        private func append(_ value: Value) {
            guard case .array(var items) = box.value else { return }
            box.value = .null
            items.append(value)
            box.value = .array(items)
        }

        mutating func encodeNil() throws { append(.null) }
        mutating func encode(_ value: Bool) throws { append(.bool(value)) }
        mutating func encode(_ value: String) throws { append(.text(value)) }
        mutating func encode(_ value: Double) throws { append(.double(value)) }
        mutating func encode(_ value: Int) throws { append(.bigint(Int64(value))) }
        mutating func encode(_ value: Int64) throws { append(.bigint(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws { append(try encoder.box(value)) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
            -> KeyedEncodingContainer<NestedKey>
        {
            let box = Box(.object(Row()))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: _RowEncoder(), box: box))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            UnkeyedContainer(encoder: _RowEncoder(), box: Box(.array([])))
        }
        mutating func superEncoder() -> any Encoder { encoder }
    }

    struct SingleContainer: SingleValueEncodingContainer {
        let encoder: _RowEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }
        private func set(_ value: Value) { encoder.storage = Box(value) }
        mutating func encodeNil() throws { set(.null) }
        mutating func encode(_ value: Bool) throws { set(.bool(value)) }
        mutating func encode(_ value: String) throws { set(.text(value)) }
        mutating func encode(_ value: Double) throws { set(.double(value)) }
        mutating func encode(_ value: Float) throws { set(.double(Double(value))) }
        mutating func encode(_ value: Int) throws { set(.bigint(Int64(value))) }
        mutating func encode(_ value: Int8) throws { set(.bigint(Int64(value))) }
        mutating func encode(_ value: Int16) throws { set(.bigint(Int64(value))) }
        mutating func encode(_ value: Int32) throws { set(.bigint(Int64(value))) }
        mutating func encode(_ value: Int64) throws { set(.bigint(value)) }
        mutating func encode(_ value: UInt) throws { set(try unsigned(UInt64(value))) }
        mutating func encode(_ value: UInt8) throws { set(.bigint(Int64(value))) }
        mutating func encode(_ value: UInt16) throws { set(.bigint(Int64(value))) }
        mutating func encode(_ value: UInt32) throws { set(.bigint(Int64(value))) }
        mutating func encode(_ value: UInt64) throws { set(try unsigned(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws { set(try encoder.box(value)) }
    }
}

private func unsigned(_ v: UInt64) throws -> Value {
    v <= UInt64(Int64.max) ? .bigint(Int64(v)) : .decimal(String(v))
}
