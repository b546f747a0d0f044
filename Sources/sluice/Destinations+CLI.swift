import Destinations
import Foundation
import PipelineCore

/// Resolves `--destination NAME` into a destination for a pipeline.
enum DestinationChoice {
    static let names = ["sqlite"]

    static func make(_ name: String, pipeline: String, config: ProjectConfig) throws -> any Destination {
        switch name {
        case "sqlite":
            // [destination.sqlite] path may hold {pipeline}; the default is ./<pipeline>.sqlite
            let pattern = config.destinationSettings("sqlite")["path"] ?? "{pipeline}.sqlite"
            return SQLiteDestination(path: pattern.replacingOccurrences(of: "{pipeline}", with: pipeline))
        default:
            throw SluiceError(.configuration, "unknown destination '\(name)'; available: \(names.joined(separator: ", "))")
        }
    }
}
