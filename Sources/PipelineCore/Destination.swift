/// Where loads end up. A destination loads one normalized package at a time, atomically.
///
/// Conformers decide how to store a package; the engine decides everything else. A load must
/// write the package's rows, its schema version (`_dlt_version`), its pipeline state and its `_dlt_loads`
/// row in one transaction, so a failure leaves the destination exactly as it was.
///
/// The destination is the truth about a pipeline's state. When a package carries a state, its load
/// must check, inside the transaction and serialized with other commits of the same pipeline, that the
/// newest stored state is the one the package's was computed from (``PipelineState/follows(_:)``), and
/// otherwise throw ``SluiceError/Code/stateConflict`` having written nothing.
public protocol Destination: Sendable {
    /// A short name for messages and load info: `sqlite`, `postgres`.
    var name: String { get }
    /// Where the data goes, for people (a file path, `host:port/database`); never holds credentials.
    var location: String { get }
    /// What the destination cannot hold (the engine checks rows against it before loading).
    var limits: DestinationLimits { get }
    /// Loads the package in one transaction.
    func load(_ package: NormalizedPackage) async throws
    /// The newest schema stored under this name, or `nil` when the destination has none.
    func storedSchema(named name: String) async throws -> Schema?
    /// The newest pipeline state stored for `pipeline`, or `nil`.
    func storedState(pipeline: String) async throws -> PipelineState?
    /// Drops the tables of `schema` and the pipeline's stored state and schema (a full refresh).
    func drop(_ schema: Schema) async throws
    /// Whether `table` exists and holds at least one row; `nil` when the destination cannot tell.
    /// A cursor is trusted only while the table it fed holds rows.
    func tableHasRows(_ table: String) async throws -> Bool?
    /// Runs `body` holding the destination's lock for runs of `pipeline` in this dataset, so that runs
    /// from different working directories or machines take turns. Waits for a run that holds it.
    func withRunLock<T>(pipeline: String, _ body: () async throws -> T) async throws -> T
    /// Opens a load whose rows arrive while its package is still being extracted and normalized, so the
    /// stages overlap; `nil` when the destination loads whole packages only (the engine then calls
    /// ``load(_:)``). `schemaName` is the pipeline's schema, `loadId` the package's. Called on a thread of its own, never on the
    /// cooperative pool, which the session may block (on locks, on the server).
    func beginLoad(schemaName: String, loadId: String) throws -> (any LoadSession)?
    /// Whether the engine opens a session only once the package is wholly extracted, not at the first
    /// normalized rows: `true` for a destination whose session holds a lock every other load into the
    /// dataset waits for (the filesystem's commit lock), so a slow or stalled source keeps no one waiting.
    /// A session opened at the first rows overlaps the load with the extraction (SQLite: a fifth less wall
    /// time for a million rows) but holds the destination from then on.
    var opensSessionAfterExtract: Bool { get }
}

/// A load in progress inside one destination transaction, fed by the engine as rows are normalized.
/// Nothing appended is visible to others, nor kept, unless ``commit(_:streamed:)`` returns: a failure, a
/// ``rollback()``, or a killed process leaves the destination as it was.
///
/// The engine appends only to tables whose write disposition is `append` (replace and merge need the
/// whole batch) and falls back to ``Destination/load(_:)`` of the finished package when anything here
/// throws, so a session is an accelerator with the same outcome as a whole-package load.
public protocol LoadSession: AnyObject {
    /// Appends rows to `table`, creating it or adding the columns it lacks first. `next` appends one
    /// flat-row frame (``PackageFile``) to its argument and returns the frame's length, or `nil` after
    /// the last; column indices in the frames are positions in `table.columns`.
    func append(_ table: TableSchema, rows next: (inout [UInt8]) throws -> Int?) throws
    /// Loads the rest of `package` as ``Destination/load(_:)`` does, except the rows of `streamed` tables
    /// (appended already), then commits. The state check and `_dlt_loads` row are part of this commit.
    func commit(_ package: NormalizedPackage, streamed: Set<String>) throws
    /// Rolls back whatever was appended (idempotent; a session dropped without a commit does the same).
    func rollback()
    /// Called from another thread while ``append(_:rows:)`` or ``commit(_:streamed:)`` runs, when the run
    /// is cancelled: stops the statement in progress as soon as the destination can (the call then throws).
    func cancel()
}

extension Destination {
    /// Cannot tell: every stored cursor is trusted.
    public func tableHasRows(_ table: String) async throws -> Bool? { nil }

    /// Holds nothing: the state check of each commit alone keeps a row from loading twice.
    public func withRunLock<T>(pipeline: String, _ body: () async throws -> T) async throws -> T {
        try await body()
    }

    /// Whole packages only.
    public func beginLoad(schemaName: String, loadId: String) throws -> (any LoadSession)? { nil }

    /// At the first normalized rows.
    public var opensSessionAfterExtract: Bool { false }
}

/// A normalized load package: the schema it was normalized against and one row file per table.
public struct NormalizedPackage: Sendable {
    public struct TableFile: Sendable {
        /// The table, as named in ``NormalizedPackage/schema``.
        public var table: String
        /// Path of the row file (``PackageFile`` frames of flat rows).
        public var path: String
        public var rowCount: Int
        public init(table: String, path: String, rowCount: Int) {
            self.table = table
            self.path = path
            self.rowCount = rowCount
        }
    }

    public var loadId: String
    public var dataset: String
    public var schema: Schema
    /// Row files, parents before children.
    public var files: [TableFile]
    /// Root tables whose chains this load replaces (write disposition `replace`).
    public var replacedRoots: [String]
    /// The pipeline state to store with this load, when it changed.
    public var state: PipelineState?

    public init(loadId: String, dataset: String, schema: Schema, files: [TableFile], replacedRoots: [String],
                state: PipelineState? = nil)
    {
        self.loadId = loadId
        self.dataset = dataset
        self.schema = schema
        self.files = files
        self.replacedRoots = replacedRoots
        self.state = state
    }
}
