import Foundation

/// Processes a test needs as they are: a pid no process has, a live process of its own, a folder that
/// refuses new files even to root.
///
/// Blocking waits run on a dispatch queue, never on the cooperative pool.
public enum TestProcesses {
    /// The pid of a short process that has exited and been reaped: no process has it (until the system
    /// reuses it, which takes far longer than a test).
    public static func deadPid() async throws -> Int32 {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let p = Process()
                    p.executableURL = URL(fileURLWithPath: "/bin/true")
                    try p.run()
                    p.waitUntilExit()
                    return p.processIdentifier
                })
            }
        }
    }

    /// Starts `executable`; stop it with ``stop(_:)``.
    public static func start(_ executable: String, _ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Kills `process` and reaps it on a dispatch queue (it has exited when the kernel answers the kill).
    public static func stop(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        DispatchQueue.global().async { process.waitUntilExit() }
    }

    /// Makes `folder` refuse new files: immutable (`chattr +i`) when running as root, whom permissions do not
    /// stop; mode 0555 otherwise. `false` when the filesystem cannot do it (the caller skips that check).
    public static func makeReadOnly(_ folder: String) async -> Bool {
        if geteuid() == 0 { return await exitStatus("/usr/bin/chattr", ["+i", folder]) == 0 }
        return chmod(folder, 0o555) == 0
    }

    /// Undoes ``makeReadOnly(_:)``.
    public static func undoReadOnly(_ folder: String) async {
        if geteuid() == 0 { _ = await exitStatus("/usr/bin/chattr", ["-i", folder]) } else { chmod(folder, 0o755) }
    }

    /// Runs `executable` to its end on a dispatch queue; its exit status, `nil` when it cannot start.
    public static func exitStatus(_ executable: String, _ arguments: [String]) async -> Int32? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: executable)
                p.arguments = arguments
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                guard (try? p.run()) != nil else { return continuation.resume(returning: nil) }
                p.waitUntilExit()
                continuation.resume(returning: p.terminationStatus)
            }
        }
    }
}
