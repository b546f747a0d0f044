import SluiceProject
import Sources
/// The version `sluice --version` prints.
enum SluiceVersion {
    static let current = "0.1.0"
}

/// The `sluice` command as a library, so that a package of your own can build its own `sluice` with
/// its sources registered; `run`, `flow run`, `flow ls`, `show`, `state` and `check` then know them.
///
/// ```swift
/// // Sources/my-sluice/main.swift
/// import SluiceCLI
/// import Sources
///
/// var sources = SourceCatalog.bundled
/// sources.register("weather", WeatherSource.build)   // (pipeline, settings JSON) -> Source
/// await Sluice.main(sources: sources)
/// ```
///
/// A pipeline then names it in `sluice.toml` (`[pipelines.weather] source = "weather"`); the source
/// decodes and checks its own section's keys. A complete package is in `Examples/CustomSource`.
public enum Sluice {
    /// The project configuration every command starts from (set once by ``main(sources:destinations:)``,
    /// before any command runs).
    nonisolated(unsafe) static var projectConfiguration = Project.Configuration()

    /// Parses the command line and runs the command, with these sources and destinations.
    public static func main(sources: SourceCatalog = .bundled, destinations: DestinationCatalog = .bundled) async {
        projectConfiguration.sources = sources
        projectConfiguration.destinations = destinations
        await SluiceCommand.main()
    }
}
