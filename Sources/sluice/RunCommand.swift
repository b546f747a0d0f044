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

    @OptionGroup var target: PipelineOptions

    @Flag(help: "Drop the pipeline's tables, schema and state first, then load from the start.")
    var fullRefresh = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.bootstrap()
        try await reportingErrors {
            // A pipeline to run must be declared; the error names the ones that are.
            let (section, declared) = try ProjectConfig.load().pipeline(target.pipeline)
            // Source credentials live in secrets.toml ([sources.<pipeline>] credentials), never in sluice.toml.
            var settings = declared
            if let credentials = try Secrets.load().value(["sources", target.pipeline, "credentials"]),
                var object = try JSONSerialization.jsonObject(with: declared) as? [String: Any]
            {
                object["credentials"] = credentials
                settings = try JSONSerialization.data(withJSONObject: object)
            }
            let p = try target.make(global).pipeline
            let source = try SourceCatalog.bundled.source(section.source, pipeline: target.pipeline, settings: settings)
            if fullRefresh {
                logger.info("full refresh of \(target.pipeline): dropping its tables and state")
                try await p.fullRefresh()
            }
            logger.info("running pipeline \(target.pipeline) into \(p.destination.name)")
            print(try await p.run(source))
        }
    }
}
