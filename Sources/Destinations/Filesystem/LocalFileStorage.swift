import Foundation
import PipelineCore

/// A local directory (a path or a `file://` URL): staging files beside their final names, published by
/// `rename(2)` after `fsync`, locks by `flock(2)` (released by the kernel when a holder dies).
///
/// Staged files are named `.<name>.<pid>.tmp` (hidden, so globs such as `*.parquet` never match them);
/// those a killed writer left are removed by ``removeAbandonedStaging(under:lockedSince:)``.
public struct LocalFileStorage: FileStorage {
    /// The directory, as an absolute or relative path.
    public let root: String
    /// `bucket_url` as errors name it: its value and where it was given.
    let label: String

    /// `bucketURL` is a path, a `file:///absolute/path` or a `file://localhost/absolute/path` URL. `origin`
    /// says where it was given (`--bucket-url`, `[destination.filesystem] bucket_url in sluice.toml`) for errors.
    ///
    /// Creates nothing, but checks that the folder can be made and written: an empty value, another scheme,
    /// a `file://` URL naming another host, a path naming a file (or under a file), or a folder that refuses
    /// new files is an error naming `bucket_url`, its value and its origin.
    public init(bucketURL: String, origin: String? = nil) throws {
        label = SettingText.describe("bucket_url", bucketURL, origin: origin)
        root = try Self.path(of: bucketURL, label: label)
        try checkWritable()
    }

    /// The local path of `bucketURL`.
    static func path(of bucketURL: String, label: String) throws -> String {
        var path = bucketURL
        if let scheme = bucketURL.range(of: "://") {
            let name = bucketURL[..<scheme.lowerBound].lowercased()
            guard name == "file" else {
                throw SluiceError(.configuration, "\(label): the scheme \(name):// is not supported yet; give a local path or a file:// URL")
            }
            let rest = bucketURL[scheme.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let host = rest[..<slash]
            // RFC 8089: an empty host or `localhost` is this machine; files of another host are not reachable here.
            guard host.isEmpty || host.lowercased() == "localhost" else {
                throw SluiceError(.configuration, "\(label): a file:// URL names a folder of this machine, as file:///absolute/path "
                    + "or file://localhost/absolute/path; the host \(host) is not supported (a relative folder is written without file://)")
            }
            let encoded = String(rest[slash...])
            path = encoded.removingPercentEncoding ?? encoded
        }
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SluiceError(.configuration, "\(label) is empty: give a local folder or a file:// URL")
        }
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// Walks up from the root to the nearest existing entry: it must be a folder this process may create
    /// files in (a read-only mount, permissions or an immutable folder refuse them).
    func checkWritable() throws {
        var probe = root
        while true {
            var info = stat()
            if stat(probe, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    throw SluiceError(.configuration, probe == root
                        ? "\(label) names a file, not a folder: give the folder the files go under"
                        : "\(label): \(probe) is a file, not a folder, so the bucket cannot be made under it")
                }
                guard access(probe, W_OK | X_OK) == 0 else {
                    let reason = String(cString: strerror(errno))
                    throw SluiceError(.configuration, "\(label) is not writable: "
                        + (probe == root ? "the folder" : "\(probe), where the folder would be made,") + " refuses new files (\(reason))")
                }
                return
            }
            guard errno == ENOENT || errno == ENOTDIR else {
                throw SluiceError(.configuration, "\(label) is not reachable: \(probe): \(String(cString: strerror(errno)))")
            }
            let next = Self.parent(of: probe)
            if next == probe { return }
            probe = next
        }
    }

    /// The folder holding `path`, by its text: `.` for a bare relative name, `/` for a name at the root.
    /// (Foundation's `deletingLastPathComponent` trapped on Linux for relative paths of one-letter names.)
    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    public var location: String { root }

    func absolute(_ path: String) -> String { root + "/" + path }

    /// Creates `directory` (and its parents), or fails naming the bucket.
    func makeDirectory(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            var reason = error.localizedDescription
            if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                reason = String(cString: strerror(Int32(underlying.code)))
            }
            throw SluiceError(.io, "\(label) is not writable: cannot create the folder \(directory) (\(reason))")
        }
    }

    public func stagingPath(for path: String) throws -> String {
        let target = absolute(path)
        let directory = (target as NSString).deletingLastPathComponent
        try makeDirectory(directory)
        let name = StagingName.make(for: (target as NSString).lastPathComponent, pid: getpid())
        StagingName.writing.withLock { _ = $0.insert(name) }
        return directory + "/" + name
    }

    public func publish(staging: String, as path: String) throws {
        let fd = open(staging, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(staging, absolute(path)) == 0 else {
            throw SluiceError(.io, "cannot publish \(absolute(path)): \(String(cString: strerror(errno)))")
        }
        StagingName.writing.withLock { _ = $0.remove((staging as NSString).lastPathComponent) }
    }

    public func discard(staging: String) {
        unlink(staging)
        StagingName.writing.withLock { _ = $0.remove((staging as NSString).lastPathComponent) }
    }

    public func list(_ directory: String) throws -> [String] {
        let base = absolute(directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var out: [String] = []
        while let item = walker.nextObject() as? String {
            let name = (item as NSString).lastPathComponent
            if name.hasPrefix(".") { continue }  // staged files and hidden files
            if walker.fileAttributes?[.type] as? FileAttributeType == .typeRegular {
                out.append(directory.isEmpty ? item : directory + "/" + item)
            }
        }
        return out.sorted()
    }

    public func read(_ path: String) throws -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: absolute(path)) else { return nil }
        return [UInt8](data)
    }

    public func remove(_ path: String) throws {
        if unlink(absolute(path)) != 0, errno != ENOENT {
            throw SluiceError(.io, "cannot remove \(absolute(path)): \(String(cString: strerror(errno)))")
        }
    }

    public func withLock<T>(_ name: String, in directory: String, timeout: Duration, _ body: () async throws -> T) async throws -> T {
        let (fd, path) = try openLockFile(name, in: directory)
        defer { close(fd) }
        // Tried, not waited for in the kernel: a waiting run sleeps on the clock (holding no thread, cancellable).
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = Duration.milliseconds(10)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard clock.now < deadline else { throw lockTimedOut(path, timeout) }
            try await clock.sleep(for: min(pause, deadline - clock.now))
            pause = min(pause * 2, .milliseconds(250))
        }
        Self.markHeld(fd)
        defer { Self.unmark(fd) }
        return try await body()
    }

    public func tryLock(_ name: String, in directory: String) throws -> StorageLock? {
        let (fd, _) = try openLockFile(name, in: directory)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        Self.markHeld(fd)
        return StorageLock {
            Self.unmark(fd)
            close(fd)
        }
    }

    /// Opens (creating it and its folder) the lock file `_sluice_locks/<name>.lock` under `directory`.
    private func openLockFile(_ name: String, in directory: String) throws -> (fd: Int32, path: String) {
        let folder = absolute(directory.isEmpty ? "_sluice_locks" : directory + "/_sluice_locks")
        try makeDirectory(folder)
        let path = folder + "/" + name + ".lock"
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw SluiceError(.io, "\(label): cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        return (fd, path)
    }

    private func lockTimedOut(_ path: String, _ timeout: Duration) -> SluiceError {
        let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return SluiceError(.configuration, "the lock \(path) is held by \(holder.flatMap { $0.isEmpty ? nil : $0 } ?? "another process"); "
            + "waited \(timeout.components.seconds) s for it")
    }

    /// Writes who holds the lock into its file, for the error of a run that waits for it too long.
    private static func markHeld(_ fd: Int32) {
        let holder = "pid \(getpid()) since \(Timestamps.formatTimestamp(Int64(Date().timeIntervalSince1970 * 1_000_000)))"
        ftruncate(fd, 0)
        _ = holder.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    private static func unmark(_ fd: Int32) {
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
    }
}
