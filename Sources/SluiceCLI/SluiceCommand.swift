import SluiceProject
import ArgumentParser
import Flows
import Foundation
import Logging
import PipelineCore
import Pipelines
import Sources

/// `sluice`: extract-load pipelines and their orchestration, from one command.
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Extract-load pipelines: stream typed rows from sources into SQLite and other destinations.",
        version: SluiceVersion.current,
        subcommands: [LoadCommand.self, RunCommand.self, ShowCommand.self, StateCommand.self, ResetCommand.self, PackagesCommand.self,
                      SchemaCommand.self, FlowCommand.self, DeploymentCommand.self, RunsCommand.self, LogsCommand.self, CheckCommand.self,
                      PipelinesCommand.self, CronCommand.self, NewCommand.self, ServeCommand.self])
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log progress to standard error.")
    var verbose = false

    @Option(help: "Where pipelines keep load packages and schemas.")
    var workingDirectory = ".sluice"

    /// The project of the current directory: sluice.toml and secrets.toml read once, the catalogs
    /// (with the sources an embedding executable registered, see ``Sluice``).
    func project() throws -> Project {
        var configuration = Sluice.projectConfiguration
        configuration.workingDirectory = workingDirectory
        return try Project.load(configuration)
    }

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

    @Option(help: "Destination: sqlite, postgres or filesystem (default: the pipeline's in sluice.toml or its last sluice load, else sqlite).")
    var destination: String?

    @Option(help: "Dataset (Postgres schema, filesystem folder) (default: the pipeline's in sluice.toml or its last sluice load, else the pipeline name).")
    var dataset: String?

    @OptionGroup var filesystem: FilesystemFlags

    /// The pipeline with its destination and dataset from the options, else `sluice.toml`, else the defaults.
    func make(_ global: GlobalOptions) throws -> (pipeline: Pipeline, project: Project) {
        let project = try global.project()
        let made = try project.pipeline(pipeline, destination: destination, dataset: dataset, destinationSettings: filesystem.settings)
        try filesystem.check(destination: made.destination.name)
        return (made, project)
    }

    /// Fails unless the pipeline is declared in sluice.toml or was loaded here before (its folder in the
    /// working directory, or its SQLite file): inspecting a pipeline that does not exist is a typo.
    /// A pipeline in a remote destination with no local trace is looked up there by the command.
    func requireKnown(_ global: GlobalOptions) throws -> Bool {
        try SafeName.check(pipeline, as: "pipeline")
        let config = try global.project().config
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
    /// The pipeline, declared in sluice.toml or made by `sluice load`, with its source, ready to run.
    func prepare(_ global: GlobalOptions) throws -> (Pipeline, Source) {
        let (pipeline, project) = try make(global)
        return (pipeline, try project.source(forPipeline: self.pipeline))
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
