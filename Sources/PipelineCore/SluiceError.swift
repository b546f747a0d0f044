/// The error every Sluice stage throws: a code to branch on and the context a person needs to act.
///
/// `description` names the stage, file, line, table and column, never a credential or a row's values
/// beyond the short excerpt a parser quotes to point at the fault.
public struct SluiceError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let badInput = Code("bad_input")
        public static let emptyInput = Code("empty_input")
        public static let schema = Code("schema")
        public static let destination = Code("destination")
        public static let configuration = Code("configuration")
        public static let io = Code("io")
        /// A server refused a request with an answer that the same request gets again (HTTP 4xx other than
        /// `408` and `429`: a wrong path or parameter, bad or missing credentials). Retrying cannot help.
        public static let refused = Code("refused")
        public static let package = Code("package")
        /// A destination fault that may pass: a lost connection, a server restarting, a deadlock.
        /// The engine retries these with backoff.
        public static let transient = Code("transient")
        /// The destination no longer holds the pipeline state a package was computed from: another run
        /// committed meanwhile, or the dataset was reset. Nothing of the package was written; the engine
        /// drops it and extracts again from the destination's state.
        public static let stateConflict = Code("state_conflict")
        /// The destination's state already holds what the run claims (``Source/claims``): another run did this
        /// work (a deployment's slot). Nothing was extracted or written.
        public static let alreadyClaimed = Code("already_claimed")
    }

    public var code: Code
    public var message: String
    public var stage: String?
    public var file: String?
    /// 1-based line (JSON Lines, CSV) or record number (JSON documents).
    public var line: Int?
    /// 1-based row of a resource, when the fault is found after extraction (normalize, load).
    public var row: Int?
    public var column: String?
    public var table: String?
    public var loadId: String?

    public init(_ code: Code, _ message: String, stage: String? = nil, file: String? = nil, line: Int? = nil,
                row: Int? = nil, column: String? = nil, table: String? = nil, loadId: String? = nil)
    {
        self.row = row
        self.code = code
        self.message = message
        self.stage = stage
        self.file = file
        self.line = line
        self.column = column
        self.table = table
        self.loadId = loadId
    }

    public var description: String {
        var place: [String] = []
        if let file { place.append(line.map { "\(file):\($0)" } ?? file) } else if let line { place.append("line \(line)") }
        if let row { place.append("row \(row)") }
        if let table { place.append("table \(table)") }
        if let column { place.append("column \(column)") }
        var s = place.isEmpty ? "" : place.joined(separator: ", ") + ": "
        s += message
        if let stage { s = "\(stage): " + s }
        if let loadId { s += " (load \(loadId))" }
        return s
    }
}

extension SluiceError {
    /// This error placed at a reader's `file` and `line`, unless it names a file already. Errors of the
    /// pipeline a reader feeds (a null cursor, a bad merge key) know the row, not where it came from.
    public func placed(file: String, line: Int) -> SluiceError {
        guard self.file == nil else { return self }
        var error = self
        error.file = file
        error.line = line
        error.row = nil
        return error
    }
}

extension JSONText.ParseError {
    /// What a reader reports: a number beyond a 64-bit float is out of range, and nesting beyond
    /// ``JSONText/maxDepth`` is the limit, not malformed. `offset`
    /// adds the byte, when it counts from the start of the line.
    public func message(_ malformed: String = "malformed JSON", offset showOffset: Bool = true) -> String {
        let at = showOffset ? " at byte \(offset + 1)" : ""
        if reason.hasSuffix("too close to zero") { return "a number is too close to zero for a 64-bit float (it would read as 0)\(at)" }
        if reason.hasPrefix("number out of range") { return "a number is out of range (beyond a 64-bit float)\(at)" }
        // A limit, not broken JSON.
        if reason.hasPrefix("nesting deeper than") { return "JSON \(reason) (the limit)\(at)" }
        return "\(malformed): \(reason)\(at)"
    }
}
