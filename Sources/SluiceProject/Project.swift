import Destinations
import Foundation
import PipelineCore
import Pipelines
import Sources

/// A Sluice project: `sluice.toml` and `secrets.toml` (with dlt-style environment overrides) read once
/// into validated values, the source and destination catalogs, and the pipelines built from them.
///
/// ```swift
/// let project = try Project.load()
/// let pipeline = try project.pipeline("sample")
/// let info = try await pipeline.run(try project.source(forPipeline: "sample"))
/// ```
///
/// Invariant for `Sendable`: every stored value is read-only after ``load(_:)``.
public struct Project: Sendable {
    /// Where the project's files are, and the catalogs it builds from (add your own sources here).
    public struct Configuration: Sendable {
        public var configPath = "sluice.toml"
        public var secretsPath = "secrets.toml"
        /// Where pipelines keep load packages, schemas and the run store.
        public var workingDirectory = ".sluice"
        public var environment = ProcessInfo.processInfo.environment
        public var sources = SourceCatalog.bundled
        public var destinations = DestinationCatalog.bundled
        public init() {}

        /// The project in `folder`: its `sluice.toml` and `secrets.toml`, and `.sluice` inside it.
        public init(folder: String) {
            configPath = folder + "/sluice.toml"
            secretsPath = folder + "/secrets.toml"
            workingDirectory = folder + "/.sluice"
        }
    }

    public let configuration: Configuration
    public let config: ProjectConfig
    public let secrets: Secrets

    public var workingDirectory: String { configuration.workingDirectory }
    public var pipelineNames: [String] { config.pipelineNames }

    /// Reads and validates both files (a missing file is an empty one). Errors name the file, the table
    /// path and the key, never a value.
    public static func load(_ configuration: Configuration = Configuration()) throws -> Project {
        Project(configuration: configuration, config: try ProjectConfig.load(path: configuration.configPath, sources: configuration.sources.names),
                secrets: try Secrets.load(path: configuration.secretsPath, environment: configuration.environment))
    }

    /// The pipeline `name` with its destination and dataset: the arguments when given, else its section in
    /// sluice.toml, else what `sluice load` recorded, else SQLite and the pipeline's name.
    ///
    /// `destinationSettings` (flags such as `--bucket-url`) win over `[destination.<name>]` in sluice.toml;
    /// when none are given, those `sluice load` recorded for the pipeline apply.
    public func pipeline(_ name: String, destination: String? = nil, dataset: String? = nil,
                         destinationSettings: [String: String] = [:]) throws -> Pipeline
    {
        try SafeName.check(name, as: "pipeline")
        if let dataset { try SafeName.check(dataset, as: "dataset") }
        let declared = config.pipelineNames.contains(name) ? try config.pipeline(name).section : nil
        let loaded = declared == nil ? try LoadSpec.read(pipeline: name, workingDirectory: workingDirectory) : nil
        var options = Pipeline.Configuration()
        options.workingDirectory = workingDirectory
        options.hashSalt = secrets.value(["privacy", "salt"])
        let destinationName = destination ?? declared?.destination ?? loaded?.destination ?? "sqlite"
        let datasetName = dataset ?? declared?.dataset ?? loaded?.dataset
        // What `sluice load` recorded applies under this run's flags, key by key (`--file-format` alone keeps
        // the recorded bucket).
        var recorded: [String: String] = [:]
        var recordedIn: String?
        if let loaded, loaded.destination == destinationName, let settings = loaded.destinationSettings, !settings.isEmpty {
            recorded = settings
            recordedIn = LoadSpec.path(pipeline: name, workingDirectory: workingDirectory)
        }
        let target = try configuration.destinations.destination(destinationName, pipeline: name, dataset: datasetName, project: self,
                                                                overrides: destinationSettings, recorded: recorded, recordedIn: recordedIn)
        return Pipeline(name: name, destination: target, dataset: datasetName, configuration: options)
    }

    /// The source of pipeline `name`: built by the catalog from its section in sluice.toml (source
    /// credentials from secrets.toml, `[sources.<pipeline>] credentials` or the `[sources.<pipeline>.credentials]`
    /// table, and their environment overrides, never from sluice.toml; see ``Secrets/sourceCredentials(_:)``), or the
    /// files `sluice load` loaded under that name, with the same hints.
    public func source(forPipeline name: String) throws -> Source {
        if !config.pipelineNames.contains(name), let loaded = try LoadSpec.read(pipeline: name, workingDirectory: workingDirectory) {
            return try FilesSource.build(pipeline: name, settings: try loaded.sourceSettings)
        }
        let (section, declared) = try config.pipeline(name)
        var settings = declared
        if let credentials = secrets.sourceCredentials(name),
            var object = try JSONSerialization.jsonObject(with: declared) as? [String: Any]
        {
            object["credentials"] = credentials.jsonObject
            settings = try JSONSerialization.data(withJSONObject: object)
        }
        let source = try configuration.sources.source(section.source, pipeline: name, settings: settings)
        if secrets.value(["privacy", "salt"]) == nil,
           let hashed = source.resources.first(where: { $0.hints.columns.values.contains { $0.privacy == .hash } })
        {
            throw SluiceError(.configuration, "pipeline \(name): table \(hashed.tableName) hashes columns but no salt is set: "
                + "add [privacy] salt to secrets.toml (or PRIVACY__SALT)")
        }
        return source
    }
}
