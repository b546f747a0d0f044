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

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.bootstrap()
        try await reportingErrors {
            let (p, source) = try target.prepare(global)
            if fullRefresh {
                logger.info("full refresh of \(target.pipeline): dropping its tables and state")
                try await p.fullRefresh()
            }
            logger.info("running pipeline \(target.pipeline) into \(p.destination.name)")
            print(try await p.run(source))
        }
    }
}
