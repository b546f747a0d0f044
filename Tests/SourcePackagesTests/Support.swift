import CZlib
import DatabaseClients
import Foundation
import PipelineCore
import Pipelines
import SluiceProject
import SluiceTesting
import Sources
import Synchronization

/// A project folder under TMPDIR: sluice.toml (with SQLite files in the folder), secrets.toml, and the
/// pipelines it runs, as `sluice run` would.
struct PackageProject {
    let path: String

    init(_ sluice: String, secrets: String? = nil) throws {
        path = try TemporaryDirectory.make("packages")
        try ("[destination.sqlite]\npath = \"\(path)/{pipeline}.sqlite\"\n\n" + sluice)
            .write(toFile: path + "/sluice.toml", atomically: true, encoding: .utf8)
        if let secrets { try secrets.write(toFile: path + "/secrets.toml", atomically: true, encoding: .utf8) }
    }

    func project(environment: [String: String] = [:]) throws -> Project {
        var configuration = Project.Configuration(folder: path)
        configuration.environment = environment
        return try Project.load(configuration)
    }

    /// Runs pipeline `name` once (extract, normalize, load).
    @discardableResult
    func run(_ name: String, environment: [String: String] = [:]) async throws -> LoadInfo {
        let project = try project(environment: environment)
        return try await project.pipeline(name).run(try project.source(forPipeline: name))
    }

    /// The rows of `sql` in the pipeline's SQLite file.
    func rows(_ pipeline: String, _ sql: String) throws -> [[String?]] {
        try SQLiteConnection(path: "\(path)/\(pipeline).sqlite").query(sql)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}


/// `data` compressed as one gzip member (zlib's deflate with a gzip header).
func gzipped(_ data: Data) -> Data {
    var stream = z_stream()
    _ = czlib_deflate_init2(&stream, 6, 15 + 16)
    defer { deflateEnd(&stream) }
    var input = [UInt8](data)
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
    let produced = input.withUnsafeMutableBufferPointer { source in
        output.withUnsafeMutableBufferPointer { target in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            stream.next_out = target.baseAddress
            stream.avail_out = UInt32(target.count)
            _ = deflate(&stream, Z_FINISH)
            return target.count - Int(stream.avail_out)
        }
    }
    return Data(output.prefix(produced))
}

/// A value shared between a test and its fixture server's handler (a `Mutex` in a class the handler captures).
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
