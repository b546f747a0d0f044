import Foundation
import PipelineCore

extension LocalFileStorage {
    /// Walks `directory` with `readdir(3)` (a stat only for the staging files it finds: a bucket of 50,000
    /// files takes about 30 ms here, against 0.4 s through `FileManager`'s enumerator), skipping the lock files.
    public func removeAbandonedStaging(under directory: String, lockedSince: Date) throws -> [String] {
        let ours = getpid()
        let writing = StagingName.writing.withLock { $0 }
        var removed: [String] = []
        Self.walk(absolute(directory), relative: directory, skipping: "_sluice_locks") { path, relative, name in
            guard let pid = StagingName.writer(of: name) else { return }
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return }
            let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
            let writer: StagingName.Writer = pid == ours
                ? (writing.contains(name) ? .thisProcessWriting : .thisProcessDone)
                : (kill(pid, 0) == 0 || errno == EPERM ? .otherAlive : .dead)
            if StagingName.isAbandoned(writer, modified: modified, lockedSince: lockedSince), unlink(path) == 0 { removed.append(relative) }
        }
        return removed.sorted()
    }

    /// Calls `visit(path, relative path, name)` for every entry under `path` that is not a folder; a folder
    /// named `skipping` is not entered. An unreadable folder is passed over.
    static func walk(_ path: String, relative: String, skipping: String, _ visit: (String, String, String) -> Void) {
        guard let folder = opendir(path) else { return }
        defer { closedir(folder) }
        while let entry = readdir(folder) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            var isFolder = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                var info = stat()
                isFolder = lstat(child, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
            }
            if isFolder {
                if name != skipping { walk(child, relative: childRelative, skipping: skipping, visit) }
            } else {
                visit(child, childRelative, name)
            }
        }
    }
}
