import Foundation
import Synchronization

/// The hidden name a file is staged under before it is published, `.<name>.<pid>.tmp`, and the rule that
/// says when such a file is abandoned (its writer was killed and will never publish or discard it).
enum StagingName {
    /// `.<name>.<pid>.tmp`: a leading dot and a `.tmp` suffix, so globs such as `*.parquet` never match it.
    static func make(for name: String, pid: Int32) -> String { "." + name + ".\(pid).tmp" }

    /// The writer's pid in a staging file's name; `nil` for any other name.
    static func writer(of fileName: String) -> Int32? {
        guard fileName.hasPrefix("."), fileName.hasSuffix(".tmp") else { return nil }
        let stem = fileName.dropLast(4)
        guard let dot = stem.lastIndex(of: "."), dot > stem.startIndex else { return nil }
        let digits = stem[stem.index(after: dot)...]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let pid = Int32(digits), pid > 0 else { return nil }
        return pid
    }

    /// Names of the files this process staged and has not yet published or discarded.
    static let writing = Mutex<Set<String>>([])

    /// Who wrote a staging file, as far as this process can tell.
    enum Writer: CaseIterable {
        /// This process, which is still writing it (it will publish or discard it).
        case thisProcessWriting
        /// This process's pid, but not a file it is writing (an earlier process that had the same pid).
        case thisProcessDone
        /// A live process other than this one (its writer, or a later process that reused its pid).
        case otherAlive
        /// No process has the pid.
        case dead
    }

    /// Whether a staging file is abandoned. Writers stage files only while holding the dataset's commit lock,
    /// which the caller holds since `lockedSince`: a file modified before that is no live writer's, whatever
    /// its pid (pids are reused), unless this process is still writing it; a newer one is kept unless its
    /// writer is dead, so a live writer's file is never removed.
    static func isAbandoned(_ writer: Writer, modified: Date, lockedSince: Date) -> Bool {
        switch writer {
        case .dead: return true
        case .thisProcessWriting: return false
        case .thisProcessDone, .otherAlive: return modified < lockedSince
        }
    }
}
