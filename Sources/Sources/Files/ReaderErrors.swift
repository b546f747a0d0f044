import PipelineCore

/// Hands one record to the pipeline; an error of the pipeline gets the reader's file and line.
func placing(file: String, line: Int, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as SluiceError {
        throw error.placed(file: file, line: line)
    }
}
