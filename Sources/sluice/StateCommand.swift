import ArgumentParser
import Foundation
import PipelineCore
import Pipelines

/// Builds the pipeline a maintenance command works on: its destination from `sluice.toml` (or the default).
func maintenancePipeline(_ name: String, destination: String?, global: GlobalOptions) throws -> Pipeline {
    let config = try ProjectConfig.load()
    let section = config.pipelineNames.contains(name) ? try config.pipeline(name).section : nil
    var options = Pipeline.Configuration()
    options.workingDirectory = global.workingDirectory
    let destinationName = destination ?? section?.destination ?? "sqlite"
    return Pipeline(name: name, destination: try DestinationChoice.make(destinationName, pipeline: name, config: config),
                    dataset: section?.dataset, configuration: options)
}

struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state", abstract: "Show a pipeline's cursors, kept values and pending packages.")

    @Argument(help: "The pipeline.")
    var pipeline: String

    @Option(help: "Destination: sqlite.")
    var destination: String?

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.bootstrap()
        do {
            let p = try maintenancePipeline(pipeline, destination: destination, global: global)
            let state = try await p.currentState()
            print("Pipeline \(pipeline): state version \(state.version)")
            if state.resources.isEmpty { print("  no resource state") }
            for (resource, s) in state.resources.sorted(by: { $0.key < $1.key }) {
                if let c = s.cursor {
                    print("  \(resource): cursor \(c.path) = \(c.lastValue.map(String.init(describing:)) ?? "(none yet)")"
                        + (c.boundaryKeys.isEmpty ? "" : ", \(c.boundaryKeys.count) boundary key(s)"))
                } else {
                    print("  \(resource):")
                }
                for (k, v) in s.values.sorted(by: { $0.key < $1.key }) { print("    \(k) = \(v)") }
            }
            let pending = p.pendingPackages()
            print("Pending packages: \(pending.extracted.count) extracted, \(pending.normalized.count) normalized"
                + (pending.failed.isEmpty ? "" : ", \(pending.failed.count) failed (set aside: \(pending.failed.joined(separator: ", ")))"))
            for id in pending.extracted { print("  \(id) extracted, not normalized") }
            for id in pending.normalized { print("  \(id) normalized, not loaded") }
        } catch let error as SluiceError {
            throw CLIError(error)
        }
    }
}

struct ResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset", abstract: "Forget one resource's state: its next run starts from the initial value.")

    @Argument(help: "The pipeline.")
    var pipeline: String

    @Option(help: "The resource whose cursor and kept values are forgotten.")
    var resource: String

    @Option(help: "Destination: sqlite.")
    var destination: String?

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.bootstrap()
        do {
            let p = try maintenancePipeline(pipeline, destination: destination, global: global)
            try await p.resetResource(resource)
            print("Pipeline \(pipeline): state of \(resource) forgotten")
        } catch let error as SluiceError {
            throw CLIError(error)
        }
    }
}
