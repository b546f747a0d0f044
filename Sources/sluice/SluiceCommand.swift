import ArgumentParser
import Flows
import Foundation
import Logging
import PipelineCore
import Pipelines
import Sources

/// `sluice`: extract-load pipelines and their orchestration, from one command.
@main
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Extract-load pipelines: stream typed rows from sources into SQLite and other destinations.",
        version: SluiceVersion.current,
        subcommands: [LoadCommand.self, RunCommand.self, ShowCommand.self, StateCommand.self, ResetCommand.self, PackagesCommand.self,
                      SchemaCommand.self, FlowCommand.self, RunsCommand.self, LogsCommand.self, CheckCommand.self, PipelinesCommand.self])
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log progress to standard error.")
    var verbose = false

    @Option(help: "Where pipelines keep load packages and schemas.")
    var workingDirectory = ".sluice"

    func bootstrap() -> Logger {
        let level: Logger.Level = verbose ? .info : .warning
        let redactor = Redactor.forProject()
        LoggingSystem.bootstrap { label in
            var handler = ConsoleLogHandler(label: label, redactor: redactor)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "sluice")
    }
}

/// The pipeline a command works on, and the destination to reach it in.
struct PipelineOptions: ParsableArguments {
    @Argument(help: "The pipeline, as named in [pipelines.<name>] or by an earlier `sluice load` (see `sluice pipelines`).")
    var pipeline: String

    @Option(help: "Destination: sqlite or postgres (default: the pipeline's in sluice.toml, else sqlite).")
    var destination: String?

    @Option(help: "Dataset (Postgres schema) (default: the pipeline's in sluice.toml, else the pipeline name).")
    var dataset: String?

    /// The pipeline with its destination and dataset from `sluice.toml` (or the defaults), and its section there.
    func make(_ global: GlobalOptions) throws -> (pipeline: Pipeline, section: ProjectConfig.PipelineSection?, settings: Data?) {
        try SafeName.check(pipeline, as: "pipeline")
        if let dataset { try SafeName.check(dataset, as: "dataset") }
        let config = try ProjectConfig.load()
        let declared = config.pipelineNames.contains(pipeline) ? try config.pipeline(pipeline) : nil
        let loaded = declared == nil ? try LoadSpec.read(pipeline: pipeline, workingDirectory: global.workingDirectory) : nil
        var options = Pipeline.Configuration()
        options.workingDirectory = global.workingDirectory
        options.hashSalt = try Secrets.load().value(["privacy", "salt"])
        let destinationName = destination ?? declared?.section.destination ?? loaded?.destination ?? "sqlite"
        let datasetName = dataset ?? declared?.section.dataset ?? loaded?.dataset
        let p = Pipeline(name: pipeline, destination: try DestinationChoice.make(destinationName, pipeline: pipeline,
                                                                                 dataset: datasetName, config: config),
                         dataset: datasetName, configuration: options)
        return (p, declared?.section, declared?.settings)
    }

    /// Fails unless the pipeline is declared in sluice.toml or was loaded here before (its folder in the
    /// working directory, or its SQLite file): inspecting a pipeline that does not exist is a typo.
    /// A pipeline in a remote destination with no local trace is looked up there by the command.
    func requireKnown(_ global: GlobalOptions) throws -> Bool {
        try SafeName.check(pipeline, as: "pipeline")
        let config = try ProjectConfig.load()
        if config.pipelineNames.contains(pipeline) || FileManager.default.fileExists(atPath: global.workingDirectory + "/" + pipeline) {
            return true
        }
        let destinationName = destination ?? "sqlite"
        if destinationName == "sqlite" {
            let pattern = config.destinationSettings("sqlite")["path"] ?? "{pipeline}.sqlite"
            guard FileManager.default.fileExists(atPath: pattern.replacingOccurrences(of: "{pipeline}", with: pipeline)) else {
                throw Self.unknown(pipeline, config, global)
            }
            return true
        }
        return false
    }

    static func unknown(_ pipeline: String, _ config: ProjectConfig, _ global: GlobalOptions) -> SluiceError {
        let known = PipelineList.names(config, workingDirectory: global.workingDirectory)
        return SluiceError(.configuration, "no pipeline '\(pipeline)': not in \(config.path) and never loaded here"
                               + " (pipelines: \(known.isEmpty ? "none" : known.joined(separator: ", ")); see `sluice pipelines`)")
    }
}

extension PipelineOptions {
    /// Options naming `pipeline`, with its destination and dataset from sluice.toml.
    static func named(_ pipeline: String) -> PipelineOptions {
        // Every property is set: an unparsed ArgumentParser property traps when read.
        var options = PipelineOptions()
        options.pipeline = pipeline
        options.destination = nil
        options.dataset = nil
        return options
    }

    /// The pipeline, declared in sluice.toml, with its source, ready to run. Source credentials come
    /// from secrets.toml (`[sources.<pipeline>] credentials`), never from sluice.toml.
    func prepare(_ global: GlobalOptions) throws -> (Pipeline, Source) {
        let config = try ProjectConfig.load()
        if !config.pipelineNames.contains(pipeline), let loaded = try LoadSpec.read(pipeline: pipeline, workingDirectory: global.workingDirectory) {
            // A pipeline made by `sluice load`: the same files and hints again.
            return (try make(global).pipeline, try FilesSource.build(pipeline: pipeline, settings: try loaded.sourceSettings))
        }
        let (section, declared) = try config.pipeline(pipeline)
        var settings = declared
        if let credentials = try Secrets.load().value(["sources", pipeline, "credentials"]),
            var object = try JSONSerialization.jsonObject(with: declared) as? [String: Any]
        {
            object["credentials"] = credentials
            settings = try JSONSerialization.data(withJSONObject: object)
        }
        return (try make(global).pipeline, try SourceCatalog.bundled.source(section.source, pipeline: pipeline, settings: settings))
    }
}

/// Runs a command's body; a ``SluiceError`` becomes one clear line on standard error and a non-zero exit.
/// SIGINT and SIGTERM cancel the body (see ``Interruption``).
func reportingErrors(_ body: @escaping () async throws -> Void) async throws {
    do {
        try await Interruption.run(body)
    } catch var error as SluiceError {
        // Messages name keys, never values; a value a lower layer quoted anyway is masked here.
        error.message = Redactor.forProject().redact(error.message)
        throw CLIError(error)
    }
}
