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
    private var pending: [HeldRow] = []

    /// A row the tracker may need whole later (for its boundary key): decoded, or its JSON object text,
    /// decoded only then.
    enum HeldRow {
        case row(Row)
        case json([UInt8])

        func decoded() throws -> Row {
            switch self {
            case .row(let row): return row
            case .json(let bytes):
                guard case .object(let row) = try JSONText.decode(bytes) else {
                    throw SluiceError(.badInput, "a JSON row is not an object", stage: "extract")
                }
                return row
            }
        }
    }
    static let pendingLimit = 1024

    /// The cursor path's steps as UTF-8, when every step is plain ASCII (no quote, backslash or control
    /// character): then ``lookup(inJSON:)`` can find the cursor in a row's text by comparing bytes.
    private let jsonSteps: [[UInt8]]?

    init(_ incremental: Incremental, prior: CursorState?, primaryKey: [String]) {
        self.incremental = incremental
        let steps = incremental.cursor.split(separator: ".").map { Array($0.utf8) }
        jsonSteps = steps.allSatisfy { $0.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C } } ? steps : nil
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
        try admit(cursor: Self.lookup(incremental.cursor, in: row), of: .row(row))
    }

    /// ``admit(_:)`` of a row whose cursor value (`nil`: missing) was read already, by ``lookup(_:in:)``
    /// or ``lookup(_:inJSON:)``.
    mutating func admit(cursor raw: Value?, of row: HeldRow) throws -> Bool {
        guard let raw, !raw.isNull else {
            let what = raw == nil ? "missing" : "null"
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
                if !seen.isEmpty, seen.contains(try key(of: row)) { return false }
            }
        }
        if let end = window.end, !(value < end) { return false }
        if let max = maxValue, !(max < value) {
            if !(value < max) { try hold(row) }
        } else {
            maxValue = value
            boundary.removeAll(keepingCapacity: true)
            pending.removeAll(keepingCapacity: true)
            try hold(row)
        }
        return true
    }

    private mutating func hold(_ row: HeldRow) throws {
        pending.append(row)
        if pending.count >= Self.pendingLimit {
            for row in pending { boundary.insert(try key(of: row)) }
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// The cursor state to commit with this run's rows. A backfill (an end value) keeps the stored one.
    func finalState() throws -> CursorState? {
        if window.end != nil { return prior }
        guard let maxValue else { return prior ?? CursorState(path: incremental.cursor) }
        var last = maxValue
        var keys = boundary.union(try pending.map(key(of:)))
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
    private func key(of held: HeldRow) throws -> String {
        let row = try held.decoded()
        if !primaryKey.isEmpty {
            return StableHash.of(primaryKey.map { JSONText.encode(Self.lookup($0, in: row) ?? .null) }.joined(separator: "\u{1F}"))
        }
        return StableHash.of(JSONText.encode(.object(row)))
    }

    /// The cursor's value in a row given as its JSON object text (validated), read without decoding the
    /// row, when ``lookup(_:in:)`` of the decoded row would surely find the same: every key at each level of
    /// the path plain ASCII (readable by comparing bytes), the step's key there exactly once (the decoder
    /// keeps the last of a key given twice), an object on the way. `nil` otherwise (a missing cursor
    /// included): the caller decodes the row and looks it up there, names normalized and errors as always.
    func lookup(inJSON bytes: UnsafeBufferPointer<UInt8>) -> Value? {
        guard let steps = jsonSteps, !steps.isEmpty else { return nil }
        var cursor = JSONCursor(bytes)
        do {
            guard cursor.enterObject() else { return nil }
            for (depth, step) in steps.enumerated() {
                var found: Int?
                var first = true
                while try cursor.toKey(first: first) {
                    first = false
                    guard let key = try cursor.readKey(), !key.contains(where: { $0 >= 0x80 }) else { return nil }
                    if key.elementsEqual(step) {
                        guard found == nil else { return nil }
                        found = cursor.position
                    }
                    try cursor.skipValue(depth: depth + 1)
                }
                guard let found else { return nil }
                cursor.position = found
                if depth < steps.count - 1 {
                    guard cursor.enterObject() else { return nil }
                    continue
                }
                switch cursor.kind() {
                case .string: return .text(try cursor.withString { String(decoding: $0, as: UTF8.self) })
                case .scalar: return try cursor.readScalar()
                case .object, .array, .invalid: return nil
                }
            }
        } catch {
            return nil
        }
        return nil
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
