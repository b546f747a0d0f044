import Foundation
import PipelineCore

/// Deployments paused with `sluice deployment pause`, kept in `<working directory>/deployments.json`
/// (`{"paused": ["nightly"]}`). On a fresh CI machine that file is gone: pause there with
/// `paused = true` in sluice.toml.
public struct DeploymentPauses: Sendable {
    public let path: String
    public init(workingDirectory: String) { path = workingDirectory + "/deployments.json" }

    private struct File: Codable { var paused: [String] }

    /// The paused deployments; a file that is not this shape is an error naming it.
    public func read() throws -> Set<String> {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        do { return Set(try JSONDecoder().decode(File.self, from: data).paused) } catch {
            throw SluiceError(.configuration, "expected {\"paused\": [names]}: remove the file to resume every deployment", file: path)
        }
    }

    /// Pauses or resumes `name` (atomically replacing the file).
    public func set(_ name: String, paused: Bool) throws {
        var names = try read()
        if paused { names.insert(name) } else { names.remove(name) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let data = try JSONEncoder().encode(File(paused: names.sorted()))
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
