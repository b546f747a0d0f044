/// An incremental cursor, as dlt users know `dlt.sources.incremental`: load only rows whose cursor
/// is past what earlier runs loaded.
///
/// ```swift
/// var hints = ResourceHints(writeDisposition: .merge, primaryKey: ["id"])
/// hints.incremental = Incremental(cursor: "updated_at", initialValue: "2024-01-01T00:00:00Z")
/// let issues = Resource(name: "issues", hints: hints) { out in
///     let since = out.window?.start          // push the bound into the query: ?since=...
///     for try await issue in api.issues(since: since) { try await out.write(issue) }
/// }
/// ```
///
/// The engine drops rows outside the window, drops rows that sit exactly on the start value and were
/// loaded before (by primary key, else by a hash of the row), and stores the new cursor in the
/// destination in the same transaction as the rows.
public struct Incremental: Sendable, Codable, Hashable {
    /// Whether rows equal to the start value are in the window.
    public enum RangeStart: String, Sendable, Codable {
        /// `>=` start; rows on the boundary that were loaded before are de-duplicated.
        case closed
        /// `>` start.
        case open
    }

    /// The cursor column, or a path into nested data with `.` (`user.updated_at`).
    public var cursor: String
    /// Where the first run starts.
    public var initialValue: CursorValue?
    /// A closed backfill window's end (rows `<` end). A run with an end value leaves the stored cursor alone.
    public var endValue: CursorValue?
    public var rangeStart: RangeStart
    /// Re-read this much before the stored cursor (seconds for timestamps, days for dates, units for numbers).
    /// Boundary de-duplication is off with a lag: pair it with `merge`.
    public var lag: Double?
    /// How many boundary row keys the state may hold; past it the run fails with a clear error.
    public var maxBoundaryKeys: Int

    public init(cursor: String, initialValue: CursorValue? = nil, endValue: CursorValue? = nil,
                rangeStart: RangeStart = .closed, lag: Double? = nil, maxBoundaryKeys: Int = 10_000)
    {
        self.cursor = cursor
        self.initialValue = initialValue
        self.endValue = endValue
        self.rangeStart = rangeStart
        self.lag = lag
        self.maxBoundaryKeys = maxBoundaryKeys
    }
}

/// The window of one run, handed to the resource so it can push the bounds into its query.
public struct IncrementalWindow: Sendable, Hashable {
    /// Rows from here (see ``startInclusive``); `nil` on a first run without an initial value.
    public var start: CursorValue?
    public var startInclusive: Bool
    /// Rows before this value, when the run is a backfill.
    public var end: CursorValue?

    public init(start: CursorValue?, startInclusive: Bool, end: CursorValue?) {
        self.start = start
        self.startInclusive = startInclusive
        self.end = end
    }
}

/// A typed cursor value: integers, doubles, strings, dates and timestamps, ordered.
public enum CursorValue: Sendable, Hashable, Codable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral, ExpressibleByIntegerLiteral
{
    case int(Int64)
    case double(Double)
    case string(String)
    /// Days since 1970-01-01.
    case date(Int32)
    /// Microseconds since 1970-01-01T00:00:00Z.
    case timestamp(Int64)

    /// A cursor value of a row's value; ISO 8601 text becomes a date or timestamp. `nil` for null and nested values.
    public init?(_ value: Value) {
        switch value {
        case .bigint(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .decimal(let s): if let d = Double(s) { self = .double(d) } else { return nil }
        case .date(let d): self = .date(d)
        case .timestamp(let t): self = .timestamp(t)
        case .text(let s): self = CursorValue(parsing: s)
        case .bool, .null, .binary, .object, .array: return nil
        }
    }

    /// Reads a value given as text (a CLI flag, a config file): integer, double, ISO date or timestamp, else string.
    public init(parsing text: String) {
        if let i = Int64(text) {
            self = .int(i)
        } else if let d = Double(text), text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
            self = .double(d)
        } else {
            switch Timestamps.parse(text) {
            case .date(let d): self = .date(d)
            case .timestamp(let t): self = .timestamp(t)
            case nil: self = .string(text)
            }
        }
    }

    public init(stringLiteral value: String) { self.init(parsing: value) }
    public init(integerLiteral value: Int64) { self = .int(value) }

    /// This value moved back by `lag` (seconds for timestamps, days for dates, units for numbers).
    public func minus(lag: Double) -> CursorValue {
        switch self {
        case .int(let i): return .int(i - Int64(lag))
        case .double(let d): return .double(d - lag)
        case .date(let d): return .date(d - Int32(lag))
        case .timestamp(let t): return .timestamp(t - Int64(lag * 1_000_000))
        case .string: return self
        }
    }

    /// Order across kinds that compare: numbers with numbers, dates with timestamps.
    private var numeric: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    private var micros: Int64? {
        switch self {
        case .date(let d): return Int64(d) * 86_400_000_000
        case .timestamp(let t): return t
        default: return nil
        }
    }

    /// Whether two values can be ordered against each other.
    public func isComparable(to other: CursorValue) -> Bool {
        (numeric != nil && other.numeric != nil) || (micros != nil && other.micros != nil)
            || { if case .string = self, case .string = other { return true } else { return false } }()
    }

    public static func < (a: CursorValue, b: CursorValue) -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x < y }
        if let x = a.numeric, let y = b.numeric { return x < y }
        if let x = a.micros, let y = b.micros { return x < y }
        if case .string(let x) = a, case .string(let y) = b { return x < y }
        return a.description < b.description
    }

    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d): return d.description
        case .string(let s): return s
        case .date(let d): return Timestamps.formatDate(d)
        case .timestamp(let t): return Timestamps.formatTimestamp(t)
        }
    }

    /// The value as a row value, for resources that compare it with their own data.
    public var value: Value {
        switch self {
        case .int(let i): return .bigint(i)
        case .double(let d): return .double(d)
        case .string(let s): return .text(s)
        case .date(let d): return .date(d)
        case .timestamp(let t): return .timestamp(t)
        }
    }
}
