#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing a small local file whole (manifests, staged system files), with the reason of a failure:
/// Foundation's `FileManager.createFile` drops it (and writes a `.dat.nosync*` file of its own first,
/// which a killed process leaves behind).
public enum LocalFile {
    /// Writes `bytes` to `path`, created or truncated; `sync` makes them durable (`fsync`) before returning.
    /// Throws an `io` error naming the path and the system's reason (`No space left on device`).
    public static func write(_ bytes: [UInt8], to path: String, sync: Bool = false) throws(SluiceError) {
        func failure() -> SluiceError { SluiceError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure() }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw failure() }
            written += n
        }
        if sync, fsync(fd) != 0 { throw failure() }
    }

    /// Replaces `path` with `bytes` in one step for its readers: written to `.<name>.<pid>.tmp` beside it,
    /// synced, then renamed over it. A kill leaves at worst that hidden file, never a partial `path`.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(SluiceError) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = folder + "." + name + ".\(getpid()).tmp"
        try write(bytes, to: temporary, sync: true)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SluiceError(.io, "cannot write \(path): \(reason)")
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
