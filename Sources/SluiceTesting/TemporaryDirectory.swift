import Foundation
import Synchronization

/// Scratch folders for tests, removed when the test process exits.
///
/// `scripts/test` also points `TMPDIR` at a folder of its own and removes it after the run; this keeps a
/// bare `swift test` from leaving folders in /tmp too. Folders live until the process exits (not until a
/// test returns) because a test's child processes and servers may still be closing files in them.
public enum TemporaryDirectory {
    private static let made = Mutex<[String]>([])
    private static let registered: Void = { atexit { TemporaryDirectory.removeAll() } }()

    /// A new, empty folder `$TMPDIR/sluice-<label>-<uuid>`; removed at exit.
    public static func make(_ label: String = "test") throws -> String {
        _ = registered
        let path = NSTemporaryDirectory() + "sluice-\(label)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        made.withLock { $0.append(path) }
        return path
    }

    /// Removes every folder made so far (called at exit).
    public static func removeAll() {
        for path in made.withLock({ paths in defer { paths = [] }; return paths }) {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
