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
        subcommands: [LoadCommand.self, RunCommand.self, ShowCommand.self, StateCommand.self, ResetCommand.self, SchemaCommand.self,
                      FlowCommand.self, RunsCommand.self, LogsCommand.self, CheckCommand.self])
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
    @Argument(help: "The pipeline, as named in [pipelines.<name>] or by an earlier `sluice load`.")
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
        var options = Pipeline.Configuration()
        options.workingDirectory = global.workingDirectory
        options.hashSalt = try Secrets.load().value(["privacy", "salt"])
        let destinationName = destination ?? declared?.section.destination ?? "sqlite"
        let p = Pipeline(name: pipeline, destination: try DestinationChoice.make(destinationName, pipeline: pipeline,
                                                                                 dataset: dataset ?? declared?.section.dataset, config: config),
                         dataset: dataset ?? declared?.section.dataset, configuration: options)
        return (p, declared?.section, declared?.settings)
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
        let (section, declared) = try ProjectConfig.load().pipeline(pipeline)
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
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch var error as SluiceError {
        // Messages name keys, never values; a value a lower layer quoted anyway is masked here.
        error.message = Redactor.forProject().redact(error.message)
        throw CLIError(error)
    }
}
