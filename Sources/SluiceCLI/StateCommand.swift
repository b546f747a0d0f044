import SluiceProject
import ArgumentParser
import Foundation
import PipelineCore
import Pipelines

struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state", abstract: "Show a pipeline's cursors, kept values and pending packages.")

    @OptionGroup var target: PipelineOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.bootstrap()
        try await reportingErrors {
            let local = try target.requireKnown(global)
            let p = try target.make(global).pipeline
            let pipeline = target.pipeline
            let state = try await p.currentState()
            guard local || state.version > 0 else { throw PipelineOptions.unknown(pipeline, try global.project().config, global) }
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
        }
    }
}

struct ResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset", abstract: "Forget one resource's state: its next run starts from the initial value.")

    @OptionGroup var target: PipelineOptions

    @Option(help: "The resource whose cursor and kept values are forgotten.")
    var resource: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.bootstrap()
        try await reportingErrors {
            _ = try target.requireKnown(global)
            try await target.make(global).pipeline.resetResource(resource)
            print("Pipeline \(target.pipeline): state of \(resource) forgotten")
        }
    }
}
