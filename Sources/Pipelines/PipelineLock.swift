import Foundation
import PipelineCore

/// One run per pipeline at a time: an exclusive `flock` on `.sluice/<pipeline>/lock`.
///
/// The kernel releases the lock when its holder exits, killed or not, so a crash never leaves a stale
/// lock; the file records who holds it, for the message the next contender gets.
final class PipelineLock {
    private let fd: Int32

    init(directory: String, pipeline: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/lock"
        fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw SluiceError(.io, "cannot open the lock file \(path)") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "another process"
            close(fd)
            throw SluiceError(.configuration, "pipeline \(pipeline) is already running (\(holder.isEmpty ? "another process" : holder)); wait for it to finish")
        }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        let holder = "pid \(getpid()) on \(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) since \(Timestamps.formatTimestamp(Int64(Date().timeIntervalSince1970 * 1_000_000)))"
        ftruncate(fd, 0)
        _ = holder.withCString { write(fd, $0, strlen($0)) }
    }

    deinit {
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
}
