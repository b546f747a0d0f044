import Foundation
import PipelineCore

/// What `sluice load` loaded, kept as `<working directory>/<pipeline>/load.json` so that `sluice run
/// <pipeline>` loads the same files again with the same hints, and `sluice pipelines` lists it.
///
/// Its tables are `[pipelines.<name>.tables.<table>]` sections of the `files` source, as JSON.
public struct LoadSpec: Codable, Sendable {
    public var destination: String
    public var dataset: String?
    /// Destination settings given as flags (`--bucket-url`, `--file-format`), over `[destination.<name>]`.
    public var destinationSettings: [String: String]?
    /// Table name -> the files source's settings of that table (paths absolute).
    public var tables: [String: [String: JSONValue]]

    public init(destination: String, dataset: String?, tables: [String: [String: JSONValue]]) {
        self.destination = destination
        self.dataset = dataset
        self.tables = tables
    }

    /// The file's name in the pipeline's working directory (a full refresh keeps it: it defines the pipeline).
    public static let fileName = "load.json"

    public static func path(pipeline: String, workingDirectory: String) -> String {
        workingDirectory + "/" + pipeline + "/" + fileName
    }

    public static func read(pipeline: String, workingDirectory: String) throws -> LoadSpec? {
        let path = path(pipeline: pipeline, workingDirectory: workingDirectory)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do { return try JSONDecoder().decode(LoadSpec.self, from: data) } catch {
            throw SluiceError(.configuration, "cannot read what `sluice load` recorded (\(decodingSummary(error))); load again", file: path)
        }
    }

    public func write(pipeline: String, workingDirectory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let path = Self.path(pipeline: pipeline, workingDirectory: workingDirectory)
        try LocalFile.replace(path, with: Array(encoder.encode(self)))
    }

    /// The settings the files source builds from: `{"tables": {...}}`.
    public var sourceSettings: Data {
        get throws { try JSONEncoder().encode(["tables": tables]) }
    }
}

/// A JSON value, for settings kept as they are written in sluice.toml.
public enum JSONValue: Codable, Equatable, Sendable {
    case string(String)
    case strings([String])
    case object([String: String])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .string(s) } else if let a = try? c.decode([String].self) {
            self = .strings(a)
        } else {
            self = .object(try c.decode([String: String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .strings(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
