import Foundation
import PipelineCore

/// Where the filesystem destination keeps its files: a local directory now, an object store later.
///
/// Paths are relative to the storage's root and use `/`. A file is written to a staging path first
/// (``stagingPath(for:)``) and becomes visible under its final name only when ``publish(staging:as:)``
/// succeeds, so a reader never sees a partial file under a final name. The writer of the formats knows
/// nothing else of the storage.
public protocol FileStorage: Sendable {
    /// Where the files are, for people (a path, a bucket URL); never holds credentials.
    var location: String { get }
    /// A local path to write the bytes of `path` into; nothing is visible under `path` until ``publish(staging:as:)``.
    func stagingPath(for path: String) throws -> String
    /// Makes the staged bytes the file `path` (replacing one of that name) in one step.
    func publish(staging: String, as path: String) throws
    /// Drops a staged file that will not be published.
    func discard(staging: String)
    /// Every file under `directory` (recursively), as paths relative to the root; empty when it does not exist.
    func list(_ directory: String) throws -> [String]
    /// The bytes of `path`, or `nil` when there is no such file.
    func read(_ path: String) throws -> [UInt8]?
    /// Removes `path`; a missing file is not an error.
    func remove(_ path: String) throws
    /// Runs `body` holding the exclusive lock named `name` (a lock file `_sluice_locks/<name>.lock` under
    /// `directory`), waiting up to `timeout` for its holder, then failing with a message naming it.
    func withLock<T>(_ name: String, in directory: String, timeout: Duration, _ body: () async throws -> T) async throws -> T
}

/// A local directory (a path or a `file://` URL): staging files beside their final names, published by
/// `rename(2)` after `fsync`, locks by `flock(2)` (released by the kernel when a holder dies).
public struct LocalFileStorage: FileStorage {
    /// The directory, as an absolute or relative path.
    public let root: String

    /// `bucketURL` is a path or a `file://` URL; any other scheme is an error naming it.
    public init(bucketURL: String) throws {
        var path = bucketURL
        if let scheme = bucketURL.range(of: "://") {
            let name = bucketURL[..<scheme.lowerBound].lowercased()
            guard name == "file" else {
                throw SluiceError(.configuration, "bucket_url \(bucketURL): the scheme \(name):// is not supported yet; "
                    + "give a local path or a file:// URL")
            }
            path = String(bucketURL[scheme.upperBound...]).removingPercentEncoding ?? String(bucketURL[scheme.upperBound...])
        }
        guard !path.isEmpty else { throw SluiceError(.configuration, "bucket_url is empty") }
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        root = path
    }

    public var location: String { root }

    func absolute(_ path: String) -> String { root + "/" + path }

    public func stagingPath(for path: String) throws -> String {
        let target = absolute(path)
        let directory = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SluiceError(.io, "cannot create the directory \(directory): \(error.localizedDescription)")
        }
        // A leading dot and a `.tmp` suffix: globs such as `*.parquet` never match a staged file.
        let name = (target as NSString).lastPathComponent
        return directory + "/." + name + ".\(getpid()).tmp"
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
    }

    public func discard(staging: String) { unlink(staging) }

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
        let folder = absolute(directory.isEmpty ? "_sluice_locks" : directory + "/_sluice_locks")
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name + ".lock"
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw SluiceError(.io, "cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // Tried, not waited for in the kernel: a waiting run sleeps on the clock (holding no thread, cancellable).
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = Duration.milliseconds(10)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard clock.now < deadline else {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                throw SluiceError(.configuration, "the lock \(path) is held by \(holder.flatMap { $0.isEmpty ? nil : $0 } ?? "another process"); "
                    + "waited \(timeout.components.seconds) s for it")
            }
            try await clock.sleep(for: min(pause, deadline - clock.now))
            pause = min(pause * 2, .milliseconds(250))
        }
        let holder = "pid \(getpid()) since \(Timestamps.formatTimestamp(Int64(Date().timeIntervalSince1970 * 1_000_000)))"
        ftruncate(fd, 0)
        _ = holder.withCString { pwrite(fd, $0, strlen($0), 0) }
        defer {
            ftruncate(fd, 0)
            flock(fd, LOCK_UN)
        }
        return try await body()
    }
}
