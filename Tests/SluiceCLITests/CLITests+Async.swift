import Foundation

extension CLITests {
    /// ``sluice(_:in:environment:)`` for async tests: the command runs and is waited for on a global
    /// queue, so a long command does not hold one of the (two, on this machine) threads every test shares.
    func sluice(_ args: [String], in dir: String, environment: [String: String] = [:]) async throws -> Result {
        try await run(Self.binary, args, in: dir, environment: environment)
    }

    /// ``run(_:_:in:environment:)`` for async tests, off the shared test threads.
    func run(_ binary: String, _ args: [String], in dir: String, environment: [String: String] = [:]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Swift.Result { try self.run(binary, args, in: dir, environment: environment) })
            }
        }
    }
}
