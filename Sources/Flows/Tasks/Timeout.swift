/// How a race between work and its timeout ended.
private enum Race<T: Sendable>: Sendable {
    case finished(T)
    case timedOut
}

/// Runs `body`, cancelling it and throwing ``TimeoutError`` if `timeout` passes first on `clock`.
/// Returns only after `body` has ended (cancellation is cooperative).
func withTimeout<T: Sendable>(
    _ timeout: Duration?, name: String, clock: any Clock<Duration>, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard let timeout else { return try await body() }
    return try await withThrowingTaskGroup(of: Race<T>.self) { group in
        group.addTask { .finished(try await body()) }
        group.addTask {
            try await clock.sleep(for: timeout)
            return .timedOut
        }
        defer { group.cancelAll() }
        switch try await group.next()! {
        case .finished(let value): return value
        case .timedOut:
            // Stop the work and wait for it: if it finished anyway (it committed before it saw the
            // cancellation), its result stands; otherwise the attempt timed out.
            group.cancelAll()
            if case .finished(let value)? = try? await group.next() { return value }
            throw TimeoutError(name: name, timeout: timeout)
        }
    }
}
