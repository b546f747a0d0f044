import SluiceProject
import ArgumentParser
import Foundation
import PipelineCore
import Pipelines
import Sources

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline declared in sluice.toml, or one made by `sluice load` (the same files and hints again).",
        discussion: "Example: sluice run sample --destination sqlite")

    @OptionGroup var target: PipelineOptions

    @Flag(help: "Drop the pipeline's tables, schema and state first, then load from the start.")
    var fullRefresh = false

    @Flag(help: "No live progress line on a terminal.")
    var quiet = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.bootstrap()
        try await reportingErrors {
            let (p, source) = try target.prepare(global)
            if fullRefresh {
                logger.info("full refresh of \(target.pipeline): dropping its tables and state")
                try await p.fullRefresh(keeping: [LoadSpec.fileName])
            }
            logger.info("running pipeline \(target.pipeline) into \(p.destination.name)")
            let progress = LoadProgress.forCommand(pipeline: target.pipeline, global: global, quiet: quiet, logger: logger)
            do {
                print(try await progress.watch { try await p.run(progress.wrap(source)) })
            } catch var error as SluiceError where fullRefresh {
                // The refresh dropped first (as its help says): a failed load leaves the tables gone.
                error.message += "; the full refresh dropped the pipeline's tables and state before this run: they stay empty until a run succeeds"
                throw error
            }
        }
    }
}
