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
    /// Takes the same lock as ``withLock(_:in:timeout:_:)`` when no one holds it, without waiting, and holds
    /// it until the returned lock's ``StorageLock/release()``; `nil` when another holder has it.
    func tryLock(_ name: String, in directory: String) throws -> StorageLock?
    /// Removes the staged files under `directory` (recursively) that no live writer will publish, those a
    /// killed process left, and returns their paths. The caller holds the dataset's commit lock, taken at
    /// `lockedSince`: writers stage only while holding it, so a staged file older than that lock is abandoned
    /// unless this process is still writing it.
    func removeAbandonedStaging(under directory: String, lockedSince: Date) throws -> [String]
}

extension FileStorage {
    /// A storage whose staged files cannot outlive their writer (none to remove).
    public func removeAbandonedStaging(under directory: String, lockedSince: Date) throws -> [String] { [] }
}

/// A lock a ``FileStorage`` holds until ``release()`` (or until it is dropped, or its process dies).
public final class StorageLock: @unchecked Sendable {
    private let lock = NSLock()
    private var unlock: (() -> Void)?

    public init(release: @escaping () -> Void) { unlock = release }

    /// Releases the lock; later calls do nothing.
    public func release() {
        lock.lock()
        let unlock = self.unlock
        self.unlock = nil
        lock.unlock()
        unlock?()
    }

    deinit { release() }
}

/// A setting as errors name it: its key, its value and where it was given (`bucket_url "x" (set by --bucket-url)`).
enum SettingText {
    static func describe(_ key: String, _ value: String, origin: String?) -> String {
        "\(key) \"\(value)\"" + (origin.map { " (set by \($0))" } ?? "")
    }
}

