/// One typed value of a row: the closed set of types Sluice moves from sources to destinations.
///
/// Nested data (`object`, `array`) exists only until normalization flattens it into columns and
/// child tables; a column of type ``DataType/json`` stores it whole.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case bigint(Int64)
    case double(Double)
    /// An exact decimal number kept as its canonical text (for example integers beyond 64 bits).
    case decimal(String)
    case text(String)
    /// Days since 1970-01-01.
    case date(Int32)
    /// Microseconds since 1970-01-01T00:00:00Z.
    case timestamp(Int64)
    case binary([UInt8])
    /// A nested object whose fields keep their source order.
    case object(Row)
    /// A nested list.
    case array([Value])

    /// The schema type this value infers to, or `nil` for `null`.
    public var dataType: DataType? {
        switch self {
        case .null: return nil
        case .bool: return .bool
        case .bigint: return .bigint
        case .double: return .double
        case .decimal: return .decimal
        case .text: return .text
        case .date: return .date
        case .timestamp: return .timestamp
        case .binary: return .binary
        case .object, .array: return .json
        }
    }

    public var isNull: Bool { if case .null = self { return true } else { return false } }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .bigint(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}
