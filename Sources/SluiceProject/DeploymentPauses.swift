import Foundation
import PipelineCore
#if canImport(Glibc)
import Glibc
#endif

/// Deployments paused with `sluice deployment pause`, kept in `<working directory>/deployments.json`
/// (`{"paused": ["nightly"]}`). On a fresh CI machine that file is gone: pause there with
/// `paused = true` in sluice.toml.
public struct DeploymentPauses: Sendable {
    public let path: String
    public init(workingDirectory: String) { path = workingDirectory + "/deployments.json" }

    private struct File: Codable { var paused: [String] }

    /// The paused deployments; a file that is not this shape is an error naming it.
    public func read() throws -> Set<String> {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw SluiceError(.configuration, "is a folder, not the file of paused deployments: remove it", file: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        do { return Set(try JSONDecoder().decode(File.self, from: data).paused) } catch {
            throw SluiceError(.configuration, "expected {\"paused\": [names]}: remove the file to resume every deployment", file: path)
        }
    }

    /// Pauses or resumes `name` (atomically replacing the file), holding `deployments.json.lock` so that
    /// pauses given at once all count (a read-modify-write without it loses all but one).
    public func set(_ name: String, paused: Bool) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let lock = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw SluiceError(.io, "cannot open the lock file: \(String(cString: strerror(errno)))", file: path + ".lock") }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw SluiceError(.io, "cannot lock: \(String(cString: strerror(errno)))", file: path + ".lock") }
        var names = try read()
        if paused { names.insert(name) } else { names.remove(name) }
        let data = try JSONEncoder().encode(File(paused: names.sorted()))
        try LocalFile.replace(path, with: Array(data))
    }
}
