import PipelineCore

/// The engine's ``RowWriter``: appends rows to the extracted package file as they come, applying the
/// resource's incremental cursor and keeping the values it asks to remember.
final class ExtractWriter: JSONRowWriter {
    let file: PackageFileWriter
    private(set) var rows = 0
    /// Rows outside the incremental window (or loaded before), dropped.
    private(set) var skipped = 0
    private var tracker: CursorTracker?
    private let priorState: ResourceState?
    private var values: [String: String]

    init(_ file: PackageFileWriter, hints: ResourceHints, prior: ResourceState?) {
        self.file = file
        priorState = prior
        values = prior?.values ?? [:]
        tracker = hints.incremental.map { CursorTracker($0, prior: prior?.cursor, primaryKey: hints.primaryKey) }
    }

    var window: IncrementalWindow? { tracker?.window }
    func state(_ key: String) -> String? { values[key] }
    func setState(_ key: String, _ value: String) { values[key] = value }

    func write(_ row: Row) async throws {
        if tracker != nil {
            do {
                guard try tracker!.admit(row) else {
                    skipped += 1
                    return
                }
            } catch var error as SluiceError {
                error.row = rows + skipped + 1
                throw error
            }
        }
        try file.writeRow(row)
        rows += 1
    }

    func write(jsonObject bytes: ArraySlice<UInt8>) async throws {
        if tracker != nil {
            // The cursor needs the row's values.
            let value = try bytes.withUnsafeBufferPointer { try JSONText.decode($0) }
            guard case .object(let row) = value else { throw SluiceError(.badInput, "a JSON row is not an object") }
            try await write(row)
            return
        }
        try bytes.withUnsafeBufferPointer { p in
            try JSONText.validate(p)
            try file.writeJSONRow(p)
        }
        rows += 1
    }

    /// The resource's state after this run, or `nil` when nothing changed.
    func finalState() throws -> ResourceState? {
        let next = ResourceState(cursor: try tracker?.finalState(), values: values)
        let before = priorState ?? ResourceState()
        return next == before ? nil : next
    }
}
