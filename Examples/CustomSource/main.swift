// A `sluice` of your own: the bundled command with one more source registered, `weather`.
//
//   swift build --product custom-sluice
//   .build/debug/custom-sluice run weather          # with [pipelines.weather] source = "weather" in sluice.toml
//   .build/debug/custom-sluice flow run weather
import Foundation
import PipelineCore
import SluiceCLI
import Sources

/// One reading; its fields become columns (`station`, `taken_at`, `celsius`), as dlt names them.
struct Reading: Codable {
    var station: String
    var takenAt: Date
    var celsius: Double
}

/// The `weather` source: its `sluice.toml` section names the stations; each run reads one hour.
enum WeatherSource {
    /// `[pipelines.<name>]` keys of this source besides `source`, `destination` and `dataset`.
    struct Settings: Decodable {
        var stations: [String]
    }

    /// Builds the source from the pipeline's section (as JSON); a missing or mistyped key is an error.
    @Sendable static func build(pipeline: String, settings: Data) throws -> Source {
        let decoded: Settings
        do { decoded = try JSONDecoder().decode(Settings.self, from: settings) } catch {
            throw SluiceError(.configuration, "pipeline \(pipeline): the weather source needs stations = [\"...\"] (\(decodingSummary(error)))")
        }
        let readings = Resource(name: "readings", hints: ResourceHints(writeDisposition: .merge, primaryKey: ["station", "taken_at"])) { out in
            let hour = Date(timeIntervalSince1970: 1_764_496_800)  // 2025-11-30T10:00:00Z: the example is reproducible
            for (k, station) in decoded.stations.enumerated() {
                try await out.write(Reading(station: station, takenAt: hour, celsius: 4.5 + Double(k)))
            }
        }
        return Source(name: "weather", resources: [readings])
    }
}

var sources = SourceCatalog.bundled
sources.register("weather", WeatherSource.build)
await Sluice.main(sources: sources)
