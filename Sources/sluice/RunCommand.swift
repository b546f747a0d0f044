import ArgumentParser
import Foundation
import PipelineCore
import Pipelines
import Sources

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline declared in sluice.toml.",
        discussion: "Example: sluice run sample --destination sqlite")

    @Argument(help: "The pipeline, as named in [pipelines.<name>].")
    var pipeline: String

    @Option(help: "Override the pipeline's destination: sqlite.")
    var destination: String?

    @Flag(help: "Drop the pipeline's tables, schema and state first, then load from the start.")
    var fullRefresh = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.bootstrap()
        do {
            let config = try ProjectConfig.load()
            let (section, settings) = try config.pipeline(pipeline)
            let source = try SourceCatalog.bundled.source(section.source, pipeline: pipeline, settings: settings)
            let destinationName = destination ?? section.destination ?? "sqlite"
            var options = Pipeline.Configuration()
            options.workingDirectory = global.workingDirectory
            options.hashSalt = try Secrets.load().value(["privacy", "salt"])
            let p = Pipeline(name: pipeline, destination: try DestinationChoice.make(destinationName, pipeline: pipeline, config: config),
                             dataset: section.dataset, configuration: options)
            if fullRefresh {
                logger.info("full refresh of \(pipeline): dropping its tables and state")
                try await p.fullRefresh()
            }
            logger.info("running pipeline \(pipeline) into \(destinationName)")
            print(try await p.run(source))
        } catch let error as SluiceError {
            throw CLIError(error)
        }
    }
}
