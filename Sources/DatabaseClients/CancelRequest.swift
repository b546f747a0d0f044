import CPostgres
import Synchronization

/// libpq's cancel handle for one connection: `send()` may be called from any thread while the
/// connection is busy (PQcancel is made for that); `free()` after the work is done.
///
/// Invariant for `@unchecked Sendable`: the handle is only touched under the mutex.
final class CancelRequest: @unchecked Sendable {
    private let lock = Mutex(())
    private var handle: OpaquePointer?

    init(_ handle: OpaquePointer?) { self.handle = handle }

    func send() {
        lock.withLock { _ in
            guard let handle else { return }
            var message = [CChar](repeating: 0, count: 256)
            _ = PQcancel(handle, &message, Int32(message.count))
        }
    }

    func free() {
        lock.withLock { _ in
            if let handle { PQfreeCancel(handle) }
            handle = nil
        }
    }
}
