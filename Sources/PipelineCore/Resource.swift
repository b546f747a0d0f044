/// Receives the rows a resource produces. Writes suspend while the engine catches up (backpressure).
public protocol RowWriter: AnyObject {
    func write(_ row: Row) async throws
    /// Writes `row` as ``write(_:)`` does and tells whether the run kept it: `false` when the incremental
    /// cursor dropped it (outside the window, or on the window's start and loaded before). A resource that
    /// reads more for each row (a dependent resource, per parent record) follows only the rows kept.
    /// The default writes the row and answers `true`.
    @discardableResult func admit(_ row: Row) async throws -> Bool
    /// This run's incremental window, when the resource declared a cursor; push it into the query.
    var window: IncrementalWindow? { get }
    /// A value the resource kept from an earlier run (stored with the load that follows the run).
    func state(_ key: String) -> String?
    /// Keeps a value for the next run; it is committed with this run's rows, never before.
    func setState(_ key: String, _ value: String)
}

extension RowWriter {
    @discardableResult public func admit(_ row: Row) async throws -> Bool {
        try await write(row)
        return true
    }
    public var window: IncrementalWindow? { nil }
    public func state(_ key: String) -> String? { nil }
    public func setState(_ key: String, _ value: String) {}
}

/// A writer that also takes rows as JSON object text. It stores the text as it is, which spares a JSON
/// source from building values only to have them encoded again; the engine parses each row once, when it
/// normalizes. Text from a source without a file and line is checked as it is written.
public protocol JSONRowWriter: RowWriter {
    /// Writes one row given as the bytes of a JSON object. Throws ``JSONText/ParseError`` for invalid JSON.
    func write(jsonObject bytes: ArraySlice<UInt8>) async throws
    /// Writes one row given as the bytes of a JSON object when nothing needs awaiting, and returns `true`;
    /// returns `false`, having written nothing, when it cannot (the caller then calls
    /// ``write(jsonObject:)``). Spares a reader the cost of an asynchronous call per row (about 3% of a
    /// load of small rows). Throws as ``write(jsonObject:)`` does.
    func writeNow(jsonObject bytes: UnsafeBufferPointer<UInt8>) throws -> Bool
    /// ``writeNow(jsonObject:)`` for a row read from line `line` (1-based) of the local file `file`: the
    /// writer may store the text without checking it, and the engine then checks it as it normalizes the
    /// row (it parses every row there anyway), reporting broken JSON at this file and line. Reading the
    /// file again is what a retry of the load does not need: the text is in the package either way.
    func writeNow(jsonObject bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int) throws -> Bool
    /// Whether ``write(jsonLines:count:file:firstLine:place:)`` stores many rows of a file at once: `true` when
    /// every row would go unchecked through ``writeNow(jsonObject:file:line:)`` anyway.
    var takesJSONLines: Bool { get }
    /// Writes `count` rows of JSON Lines text read from the local file `file`, the first from line
    /// `firstLine` (1-based), the others from the lines after it: `lines` holds the lines whole, each
    /// ending with `\n` (a `\r` before it allowed) and holding an object (its first byte that is not a space
    /// or a tab is `{`). Stored unchecked, as ``writeNow(jsonObject:file:line:)`` stores one row: one call
    /// for a buffer of lines spares a reader a call per row through every writer between it and the
    /// engine (5% of the CPU of a JSON Lines load). Call it only when ``takesJSONLines`` is `true`.
    ///
    /// `place` says where `lines` are in `file` when it is a regular file read as it is on disk (not
    /// decompressed): the writer may then keep a hard link to the file and the lines' byte range instead of
    /// a copy of them (see ``LocalFilePlace``); `nil` otherwise.
    func write(jsonLines lines: UnsafeBufferPointer<UInt8>, count: Int, file: String, firstLine: Int, place: LocalFilePlace?) throws
}

/// Where bytes a reader hands over are in the regular local file they were read from: the file's device and
/// inode (`st_dev`, `st_ino` of the file the reader has open, so a link to its path can be checked to be the
/// same file) and the bytes' offset from its start.
public struct LocalFilePlace: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var offset: Int

    public init(device: UInt64, inode: UInt64, offset: Int) {
        self.device = device
        self.inode = inode
        self.offset = offset
    }
}

extension JSONRowWriter {
    /// Never at once: every row goes through ``write(jsonObject:)``.
    public func writeNow(jsonObject bytes: UnsafeBufferPointer<UInt8>) throws -> Bool { false }
    /// Checked now, as ``writeNow(jsonObject:)``.
    public func writeNow(jsonObject bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int) throws -> Bool {
        try writeNow(jsonObject: bytes)
    }
    /// Rows one at a time.
    public var takesJSONLines: Bool { false }
    /// Never: ``takesJSONLines`` is `false`.
    public func write(jsonLines lines: UnsafeBufferPointer<UInt8>, count: Int, file: String, firstLine: Int, place: LocalFilePlace?) throws {
        throw SluiceError(.package, "\(file):\(firstLine): this writer takes JSON rows one at a time (takesJSONLines is false)")
    }
}

extension RowWriter {
    /// Writes any `Encodable` value as a row (field names from its `CodingKeys`; `Date` becomes a timestamp).
    public func write<T: Encodable>(_ record: T) async throws {
        try await write(RowEncoder().encode(record))
    }

    public func write<S: Sequence>(contentsOf rows: S) async throws where S.Element == Row {
        for row in rows { try await write(row) }
    }
}

/// A named async producer of rows, with hints about the table they go to.
///
/// ```swift
/// let users = Resource(name: "users", hints: ResourceHints(writeDisposition: .merge, primaryKey: ["id"])) { out in
///     for try await page in api.pages("/users") {
///         for user in page { try await out.write(user) }   // user: some Codable struct
///     }
/// }
/// ```
public struct Resource: Sendable {
    public var name: String
    public var hints: ResourceHints
    public let produce: @Sendable (any RowWriter) async throws -> Void

    public init(name: String, hints: ResourceHints = ResourceHints(),
                _ produce: @escaping @Sendable (any RowWriter) async throws -> Void)
    {
        self.name = name
        self.hints = hints
        self.produce = produce
    }

    /// The table this resource's rows go to: the hint, else the resource name.
    public var tableName: String { hints.table ?? name }
}

/// A group of resources extracted together into one load package.
public struct Source: Sendable {
    public var name: String
    public var resources: [Resource]
    /// Values this run claims in the pipeline state, committed with its rows (under ``stateKey``): a
    /// deployment claims its schedule slot (`"daily/0": "2026-11-30T02:00:00Z"`) so that a slot loads once.
    /// Extraction refuses (``SluiceError/Code/alreadyClaimed``) when the destination's state already holds
    /// the value or a later one (values compare as strings: use sortable text such as ISO 8601 in UTC); a run
    /// that lost a race to another is refused the same way when it extracts again after the state conflict.
    public var claims: [String: String] = [:]

    /// The entry of ``PipelineState/resources`` that keeps the source's own values (its ``claims``), beside
    /// its resources' states, as dlt keeps source-level state apart from resource state.
    public static let stateKey = "_dlt_source"

    public init(name: String, resources: [Resource]) {
        self.name = name
        self.resources = resources
    }
}
