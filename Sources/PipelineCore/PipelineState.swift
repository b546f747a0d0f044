/// What a pipeline remembers between runs: per resource, its cursor and any values the source keeps.
///
/// Versioned and chained: every load that changes it stores a new version in the destination
/// (`_dlt_pipeline_state`) in the same transaction as its rows, and each version names the one it was
/// computed from (``parent``). The destination a run loads into is the truth: a commit whose parent is
/// not the destination's newest state is refused (``SluiceError/Code/stateConflict``).
public struct PipelineState: Sendable, Codable, Hashable {
    public var pipeline: String
    public var version: Int
    public var resources: [String: ResourceState]
    /// The ``fingerprint`` of the state this one was computed from; `nil` for the initial state and for
    /// states stored before states were chained.
    public var parent: String?

    public init(pipeline: String, version: Int = 0, resources: [String: ResourceState] = [:], parent: String? = nil) {
        self.pipeline = pipeline
        self.version = version
        self.resources = resources
        self.parent = parent
    }
}

/// One resource's state.
public struct ResourceState: Sendable, Codable, Hashable {
    /// The incremental cursor, when the resource has one.
    public var cursor: CursorState?
    /// Values the source keeps between runs (a page token, a high-water mark of its own).
    public var values: [String: String]

    public init(cursor: CursorState? = nil, values: [String: String] = [:]) {
        self.cursor = cursor
        self.values = values
    }
}

/// A cursor's stored position.
public struct CursorState: Sendable, Codable, Hashable {
    /// The cursor path it tracks; a different path starts over.
    public var path: String
    /// The largest cursor value loaded.
    public var lastValue: CursorValue?
    /// Keys (hashes) of the rows whose cursor equals ``lastValue``: the next run skips them.
    public var boundaryKeys: [String]

    public init(path: String, lastValue: CursorValue? = nil, boundaryKeys: [String] = []) {
        self.path = path
        self.lastValue = lastValue
        self.boundaryKeys = boundaryKeys
    }
}
