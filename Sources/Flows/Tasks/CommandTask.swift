import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished command task reports.
public struct CommandResult: Sendable, Codable, Equatable {
    public var command: [String]
    public var exitStatus: Int32
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case command, seconds
        case exitStatus = "exit_status"
    }
}

/// A command that exited with a non-zero status (or was killed by a signal).
public struct CommandError: Error, Sendable, CustomStringConvertible {
    public var command: String
    /// The exit status, or 128 + the signal number.
    public var status: Int32
    /// The last lines it printed, for the error summary.
    public var tail: [String]
    public var description: String {
        "`\(command)` exited with status \(status)" + (tail.isEmpty ? "" : ": " + tail.joined(separator: " | "))
    }
}

extension FlowTask where Input == Void, Output == CommandResult {
    /// A task that runs an external program (such as `dbt build`) in its own process group, logging
    /// each line it prints. A non-zero exit fails the task. Cancelling the task (or its timeout)
    /// sends SIGTERM to the whole group, then SIGKILL after `gracePeriod`; when the program exits,
    /// whatever it left running in its group is killed: no child outlives the task.
    public static func command(
        _ name: String, _ arguments: [String], workingDirectory: String? = nil, environment: [String: String] = [:],
        retry: RetryPolicy = .none, timeout: Duration? = nil, gracePeriod: Duration = .seconds(10), tags: [String] = []
    ) -> FlowTask {
        FlowTask(name, retry: retry, timeout: timeout, tags: tags) { task in
            let started = ContinuousClock.now
            let process = try ChildProcess(arguments, workingDirectory: workingDirectory, environment: environment, logger: task.logger)
            task.recordProcessGroup(process.pid)
            defer { task.recordProcessGroup(nil) }
            let status = try await process.wait(gracePeriod: gracePeriod)
            guard status == 0 else {
                throw CommandError(command: arguments.joined(separator: " "), status: status, tail: process.tail)
            }
            return CommandResult(command: arguments, exitStatus: status, seconds: (ContinuousClock.now - started).seconds)
        }
    }
}

/// A spawned program in its own process group, its output read line by line on a thread.
///
/// Invariant for `@unchecked Sendable`: `pid` is immutable; the output tail is behind a mutex and the
/// reader's stop flag is atomic.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let output = OutputTail()
    private let reader: Thread
    private let readerDone = DispatchSemaphore(value: 0)
    private let stopReading = StopFlag()
    /// How long output is still read after the program exited: a helper it left in another session
    /// (`setsid helper &`) may hold the pipe open for much longer, and must not hold the task.
    static let drainPeriod: Duration = .milliseconds(500)

    init(_ arguments: [String], workingDirectory: String?, environment: [String: String], logger: Logger) throws {
        guard !arguments.isEmpty else { throw CommandError(command: "", status: 127, tail: ["no command given"]) }
        // A working directory is entered by a shell that then becomes the program (glibc's
        // posix_spawn_file_actions_addchdir_np is not visible to Swift).
        let arguments = workingDirectory.map { ["/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", $0] + arguments } ?? arguments
        let program = arguments[0]
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CommandError(command: program, status: 127, tail: ["pipe: \(errno)"]) }
        let (readEnd, writeEnd) = (fds[0], fds[1])

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (pgid = its pid), so the group can be signalled as one.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.map { "\($0.key)=\($0.value)" }
        var child: pid_t = 0
        let rc = withCStrings(arguments) { argv in
            withCStrings(env) { envp in posix_spawnp(&child, program, &actions, &attributes, argv, envp) }
        }
        close(writeEnd)
        guard rc == 0 else {
            close(readEnd)
            throw CommandError(command: arguments.joined(separator: " "), status: 127, tail: ["cannot start \(program): \(String(cString: strerror(rc)))"])
        }
        pid = child
        CommandGroups.live.withLock { _ = $0.insert(child) }

        let output = self.output
        let done = readerDone
        let stop = stopReading
        reader = Thread {
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            func emit(_ line: ArraySlice<UInt8>) {
                let text = String(decoding: line, as: UTF8.self)
                logger.info("\(text)")
                output.append(text)
            }
            // Polled, so that a stop request ends the loop even while someone else keeps the pipe open.
            while !stop.value.load(ordering: .acquiring) {
                var ready = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
                let n = poll(&ready, 1, 50)
                if n == 0 || (n < 0 && errno == EINTR) { continue }
                if n < 0 { break }
                let count = read(readEnd, &chunk, chunk.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: chunk[0..<count])
                while let newline = pending.firstIndex(of: 10) {
                    emit(pending[pending.startIndex..<newline])
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            close(readEnd)
            if !pending.isEmpty { emit(pending[...]) }
            done.signal()
        }
        reader.start()
    }

    /// The last lines printed.
    var tail: [String] { output.lines.withLock { $0 } }

    /// Waits for the program to exit and returns its status (128 + signal when killed). When the
    /// waiting task is cancelled, signals the process group and throws `CancellationError` once it exited.
    func wait(gracePeriod: Duration) async throws -> Int32 {
        let pid = self.pid
        let status: Int32 = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let waiter = Thread {
                    var raw: Int32 = 0
                    while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
                    let status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
                    continuation.resume(returning: status)
                }
                waiter.start()
            }
        } onCancel: {
            kill(-pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + gracePeriod.seconds) { kill(-pid, SIGKILL) }
        }
        // The group is the task's: children that outlived the program (and would hold its output open) go too.
        kill(-pid, SIGKILL)
        CommandGroups.live.withLock { _ = $0.remove(pid) }
        let done = readerDone
        let stop = stopReading
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                // Output still in the pipe is read; a writer outside the group gets the drain period, no more.
                if done.wait(timeout: .now() + ChildProcess.drainPeriod.seconds) == .timedOut {
                    stop.value.store(true, ordering: .releasing)
                    done.wait()
                }
                continuation.resume()
            }
        }
        if Task.isCancelled { throw CancellationError() }
        return status
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

/// The last 20 lines a command printed.
private final class OutputTail: Sendable {
    let lines = Mutex<[String]>([])

    func append(_ line: String) {
        lines.withLock { tail in
            tail.append(line)
            if tail.count > 20 { tail.removeFirst(tail.count - 20) }
        }
    }
}

/// A flag one thread sets and another polls.
private final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}

/// The process groups of command tasks running in this process.
public enum CommandGroups {
    static let live = Mutex<Set<pid_t>>([])

    /// Sends SIGKILL to every command task's process group still running: for a process that must exit
    /// at once (a second Ctrl-C) and would otherwise leave them behind.
    public static func killAll() {
        for group in live.withLock({ $0 }) { kill(-group, SIGKILL) }
    }
}
