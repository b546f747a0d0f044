import Foundation

/// Runs a program to its end and returns its exit status, waiting on a global queue: Foundation's
/// `Process.waitUntilExit` holds one of the test pool's threads (two on this machine) far longer than
/// the program runs, which starves every other test.
func runToExit(_ program: String, _ arguments: [String] = [], quiet: Bool = true) async -> (pid: pid_t, status: Int32) {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let argv = ([program] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            if quiet { posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0) }
            var pid: pid_t = 0
            guard posix_spawn(&pid, program, &actions, nil, argv, environ) == 0 else {
                continuation.resume(returning: (0, 127))
                return
            }
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            continuation.resume(returning: (pid, (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)))
        }
    }
}
