import SluiceProject
import ArgumentParser
import Flows
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM while a command runs: the first signal cancels the command's work, which
/// stops where it is (a load rolls back and its package is dropped, a command task's process group gets
/// SIGTERM and then SIGKILL after its grace period, a flow run is recorded Cancelled); the command then
/// exits 130 (SIGINT) or 143 (SIGTERM), as shells expect; if the work finished anyway (the signal came
/// after its last commit), it says so and exits 0, so nobody reruns a committed load. A second signal
/// exits at once.
enum Interruption {
    /// Runs `body` as a task that the first SIGINT or SIGTERM cancels.
    static func run(_ body: @escaping () async throws -> Void) async throws {
        let work = UncheckedSendable(body)
        let watcher = SignalWatcher()
        let task = Task { try await work.value() }
        watcher.start {
            FileHandle.standardError.write(Data("\nsluice: stopping: the run is cancelled and what it has not committed is rolled back (a second signal exits at once)\n".utf8))
            task.cancel()
        }
        let result = await task.result
        watcher.stop()
        if let signal = watcher.received {
            // Finished anyway (the signal came after the last commit): the work is done and committed, so
            // the exit says success; a rerun of the same command would load its rows a second time.
            if case .success = result {
                FileHandle.standardError.write(Data("sluice: the run had finished before it could stop: what it loaded is committed\n".utf8))
                return
            }
            throw ExitCode(128 + signal)
        }
        try result.get()
    }
}

/// Lets a closure cross into the task that runs it. Invariant: only that task calls it, while the
/// caller waits for the task; nothing else touches it.
private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Watches SIGINT and SIGTERM with dispatch sources (the default actions are ignored meanwhile).
private final class SignalWatcher: @unchecked Sendable {
    // Invariant: `first` and `sources` are touched under `lock` only.
    private let lock = NSLock()
    private var first: Int32?
    private var sources: [any DispatchSourceSignal] = []

    var received: Int32? { lock.withLock { first } }

    func start(_ onFirst: @escaping @Sendable () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                let isFirst = lock.withLock {
                    guard first == nil else { return false }
                    first = number
                    return true
                }
                if isFirst {
                    onFirst()
                } else {
                    CommandGroups.killAll()  // no command task outlives the exit
                    _exit(128 + number)
                }
            }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }

    /// Stops watching. The signals stay ignored: the command's work is done and it is about to exit, and a
    /// signal's default action now would end it with 130 or 143 after its commit (seen under load, when the
    /// signal came while the process printed its result).
    func stop() {
        lock.withLock {
            for source in sources { source.cancel() }
            sources = []
        }
    }
}
