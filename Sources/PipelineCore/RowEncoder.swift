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
        switch try _RowEncoder.box(value, codingPath: []) {
        case .object(let row): return row
        case let other: return Row([Row.Field("value", other)])
        }
    }
}

/// What an encoder builds: scalars in place, nested containers by reference so that a container
/// handed out by `nestedContainer` still writes into its parent.
private final class Node {
    enum Child {
        case value(Value)
        case node(Node)
    }

    let isArray: Bool
    var fields: [(String, Child)] = []
    var items: [Child] = []

    init(isArray: Bool) { self.isArray = isArray }

    func resolve() -> Value {
        func resolve(_ child: Child) -> Value {
            switch child {
            case .value(let v): return v
            case .node(let n): return n.resolve()
            }
        }
        if isArray { return .array(items.map(resolve)) }
        return .object(Row(fields.map { Row.Field($0.0, resolve($0.1)) }))
    }
}

private final class _RowEncoder: Encoder {
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] = [:]
    /// A container's node, or a single value.
    var node: Node?
    var single: Value?

    init(codingPath: [any CodingKey]) { self.codingPath = codingPath }

    var result: Value { node?.resolve() ?? single ?? .null }

    static func box<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> Value {
        switch value {
        case let date as Date: return .timestamp(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
        case let decimal as Decimal: return .decimal("\(decimal)")
        case let data as Data: return .binary([UInt8](data))
        case let url as URL: return .text(url.absoluteString)
        case let uuid as UUID: return .text(uuid.uuidString.lowercased())
        case let v as Value: return v
        case let r as Row: return .object(r)
        default:
            let encoder = _RowEncoder(codingPath: codingPath)
            try value.encode(to: encoder)
            return encoder.result
        }
    }

    private func container(isArray: Bool) -> Node {
        if let node, node.isArray == isArray { return node }
        let n = Node(isArray: isArray)
        node = n
        return n
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedContainer<Key>(node: container(isArray: false), codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedContainer(node: container(isArray: true), codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        var codingPath: [any CodingKey]

        private func append(_ key: Key, _ value: Value) { node.fields.append((key.stringValue, .value(value))) }

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
        mutating func encode(_ value: UInt, forKey key: Key) throws { append(key, unsigned(UInt64(value))) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { append(key, .bigint(Int64(value))) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { append(key, .bigint(Int64(value))) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { append(key, .bigint(Int64(value))) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { append(key, unsigned(value)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            append(key, try _RowEncoder.box(value, codingPath: codingPath + [key]))
        }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) }
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey>
        {
            let child = Node(isArray: false)
            node.fields.append((key.stringValue, .node(child)))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let child = Node(isArray: true)
            node.fields.append((key.stringValue, .node(child)))
            return UnkeyedContainer(node: child, codingPath: codingPath + [key])
        }
        mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            let child = _RowEncoder(codingPath: codingPath + [key])
            let holder = Node(isArray: false)
            child.node = holder
            node.fields.append((key.stringValue, .node(holder)))
            return child
        }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey]
        var count: Int { node.items.count }

        private func append(_ value: Value) { node.items.append(.value(value)) }

        mutating func encodeNil() throws { append(.null) }
        mutating func encode(_ value: Bool) throws { append(.bool(value)) }
        mutating func encode(_ value: String) throws { append(.text(value)) }
        mutating func encode(_ value: Double) throws { append(.double(value)) }
        mutating func encode(_ value: Int) throws { append(.bigint(Int64(value))) }
        mutating func encode(_ value: Int64) throws { append(.bigint(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws { append(try _RowEncoder.box(value, codingPath: codingPath)) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
            -> KeyedEncodingContainer<NestedKey>
        {
            let child = Node(isArray: false)
            node.items.append(.node(child))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let child = Node(isArray: true)
            node.items.append(.node(child))
            return UnkeyedContainer(node: child, codingPath: codingPath)
        }
        mutating func superEncoder() -> any Encoder {
            let child = _RowEncoder(codingPath: codingPath)
            let holder = Node(isArray: false)
            child.node = holder
            node.items.append(.node(holder))
            return child
        }
    }

    struct SingleContainer: SingleValueEncodingContainer {
        let encoder: _RowEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }
        private func set(_ value: Value) { encoder.single = value }
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
        mutating func encode(_ value: UInt) throws { set(unsigned(UInt64(value))) }
        mutating func encode(_ value: UInt8) throws { set(.bigint(Int64(value))) }
        mutating func encode(_ value: UInt16) throws { set(.bigint(Int64(value))) }
        mutating func encode(_ value: UInt32) throws { set(.bigint(Int64(value))) }
        mutating func encode(_ value: UInt64) throws { set(unsigned(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            set(try _RowEncoder.box(value, codingPath: encoder.codingPath))
        }
    }
}

private func unsigned(_ v: UInt64) -> Value {
    v <= UInt64(Int64.max) ? .bigint(Int64(v)) : .decimal(String(v))
}
