import PipelineCore

/// Applies one resource's incremental cursor at extract: decides which rows are in the window and
/// computes the cursor state this run would commit.
///
/// A value type with no I/O, so its rules are tested directly.
struct CursorTracker {
    let incremental: Incremental
    let window: IncrementalWindow
    private let prior: CursorState?
    private let seen: Set<String>
    private let primaryKey: [String]
    private(set) var maxValue: CursorValue?
    /// Keys of the rows holding ``maxValue``, and rows holding it whose keys are not computed yet: keys
    /// (a hash of the primary key or of the whole row) are computed only for rows still on the boundary
    /// when ``pendingLimit`` rows wait or at the end, not for every row that raises the maximum (with a
    /// rising cursor, every row).
    private var boundary: Set<String> = []
    private var pending: [Row] = []
    static let pendingLimit = 1024

    init(_ incremental: Incremental, prior: CursorState?, primaryKey: [String]) {
        self.incremental = incremental
        // A cursor on another path starts over.
        let prior = prior?.path == incremental.cursor ? prior : nil
        self.prior = prior
        self.primaryKey = primaryKey
        // A backfill (an end value) reads exactly [initial, end) and ignores the stored cursor.
        let backfill = incremental.endValue != nil
        var start = backfill ? incremental.initialValue : prior?.lastValue ?? incremental.initialValue
        if !backfill, let lag = incremental.lag, let last = prior?.lastValue { start = last.minus(lag: lag) }
        window = IncrementalWindow(start: start, startInclusive: incremental.rangeStart == .closed, end: incremental.endValue)
        // Rows on the boundary loaded before are skipped, unless a lag re-reads on purpose.
        let dedup = !backfill && incremental.rangeStart == .closed && incremental.lag == nil && prior?.lastValue != nil
        seen = dedup ? Set(prior!.boundaryKeys) : []
    }

    /// Whether `row` is in the window (and not loaded before). Throws for a missing or mistyped cursor.
    mutating func admit(_ row: Row) throws -> Bool {
        guard let raw = Self.lookup(incremental.cursor, in: row), !raw.isNull else {
            let what = Self.lookup(incremental.cursor, in: row) == nil ? "missing" : "null"
            throw SluiceError(.badInput, "the cursor \(incremental.cursor) is \(what)", stage: "extract",
                              column: incremental.cursor)
        }
        guard let value = CursorValue(raw) else {
            throw SluiceError(.badInput, "a \(raw.dataType?.rawValue ?? "null") value cannot be a cursor", stage: "extract",
                              column: incremental.cursor)
        }
        if let max = maxValue, !value.isComparable(to: max) {
            throw SluiceError(.badInput, "cursor value \(value) does not compare with \(max), met earlier in this run: a cursor keeps one type",
                              stage: "extract", column: incremental.cursor)
        }
        if let start = window.start {
            guard value.isComparable(to: start) else {
                throw SluiceError(.badInput, "cursor value \(value) does not compare with the stored cursor \(start)",
                                  stage: "extract", column: incremental.cursor)
            }
            if value < start { return false }
            if !(start < value) {  // on the start boundary
                if !window.startInclusive { return false }
                if !seen.isEmpty, seen.contains(key(of: row)) { return false }
            }
        }
        if let end = window.end, !(value < end) { return false }
        if let max = maxValue, !(max < value) {
            if !(value < max) { hold(row) }
        } else {
            maxValue = value
            boundary.removeAll(keepingCapacity: true)
            pending.removeAll(keepingCapacity: true)
            hold(row)
        }
        return true
    }

    private mutating func hold(_ row: Row) {
        pending.append(row)
        if pending.count >= Self.pendingLimit {
            for row in pending { boundary.insert(key(of: row)) }
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// The cursor state to commit with this run's rows. A backfill (an end value) keeps the stored one.
    func finalState() throws -> CursorState? {
        if window.end != nil { return prior }
        guard let maxValue else { return prior ?? CursorState(path: incremental.cursor) }
        var last = maxValue
        var keys = boundary.union(pending.map(key(of:)))
        if let previous = prior?.lastValue {
            if maxValue < previous {
                last = previous
                keys = Set(prior!.boundaryKeys)
            } else if !(previous < maxValue) {
                keys.formUnion(prior!.boundaryKeys)
            }
        }
        if incremental.lag != nil { keys = [] }
        guard keys.count <= incremental.maxBoundaryKeys else {
            throw SluiceError(.badInput, """
                \(keys.count) rows share the cursor value \(last), more than the \(incremental.maxBoundaryKeys) \
                boundary keys the state may hold; use a more selective cursor, an open range start, or raise max_boundary_keys
                """, stage: "extract", column: incremental.cursor)
        }
        return CursorState(path: incremental.cursor, lastValue: last, boundaryKeys: keys.sorted())
    }

    /// The row's key for boundary de-duplication: its primary key, else a hash of the whole row.
    private func key(of row: Row) -> String {
        if !primaryKey.isEmpty {
            return StableHash.of(primaryKey.map { JSONText.encode(Self.lookup($0, in: row) ?? .null) }.joined(separator: "\u{1F}"))
        }
        return StableHash.of(JSONText.encode(.object(row)))
    }

    /// Finds `path` (`a.b.c`) in a row, matching each step by the source name or the normalized name.
    static func lookup(_ path: String, in row: Row) -> Value? {
        var current = Value.object(row)
        for step in path.split(separator: ".") {
            guard case .object(let r) = current else { return nil }
            let name = String(step)
            if let v = r[name] {
                current = v
                continue
            }
            let normalized = Naming.normalizePath(name)
            guard let field = r.fields.first(where: { Naming.normalizePath($0.name) == normalized }) else { return nil }
            current = field.value
        }
        return current
    }
}
