import PipelineCore

extension SluiceError {
    /// This error placed at a reader's `file` and `line`, unless it names a file already. Errors of the
    /// pipeline a reader feeds (a null cursor, a bad merge key) know the row, not where it came from.
    func placed(file: String, line: Int) -> SluiceError {
        guard self.file == nil else { return self }
        var error = self
        error.file = file
        error.line = line
        error.row = nil
        return error
    }
}

extension JSONText.ParseError {
    /// What a reader reports: a number beyond a 64-bit float is out of range, not malformed. `offset`
    /// adds the byte, when it counts from the start of the line.
    func message(_ malformed: String = "malformed JSON", offset showOffset: Bool = true) -> String {
        let at = showOffset ? " at byte \(offset + 1)" : ""
        return reason.hasPrefix("number out of range")
            ? "a number is out of range (beyond a 64-bit float)\(at)"
            : "\(malformed): \(reason)\(at)"
    }
}

/// Hands one record to the pipeline; an error of the pipeline gets the reader's file and line.
func placing(file: String, line: Int, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as SluiceError {
        throw error.placed(file: file, line: line)
    }
}
