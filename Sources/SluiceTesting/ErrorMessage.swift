import PipelineCore

/// The description of the error `body` throws: a ``SluiceError``'s as a user reads it, "unexpected ..."
/// for any other error, "no error" when it throws none. For tests that assert what an error says.
public func errorMessage(_ body: () async throws -> Void) async -> String {
    do {
        try await body()
        return "no error"
    } catch let error as SluiceError {
        return error.description
    } catch {
        return "unexpected \(error)"
    }
}
