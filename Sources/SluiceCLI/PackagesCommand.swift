import SluiceProject
import ArgumentParser
import Foundation
import PipelineCore
import Pipelines

/// `sluice packages PIPELINE [--retry LOAD_ID] [--drop LOAD_ID]`: the packages not loaded yet.
struct PackagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "packages",
        abstract: "List a pipeline's pending and failed load packages; retry or drop one.",
        discussion: """
            A package the destination cannot hold (or that cannot be normalized) is set aside as failed, with its \
            error, so later runs proceed. --retry moves it back to the stage that failed (after you fixed the \
            cause); --drop deletes a pending or failed package: its rows are never loaded.
            """)

    @OptionGroup var target: PipelineOptions

    @Option(help: "Move this failed package back to be normalized or loaded by the next run.")
    var retry: String?

    @Option(help: "Delete this pending or failed package.")
    var drop: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if retry != nil && drop != nil { throw ValidationError("give --retry or --drop, not both") }
    }

    func run() async throws {
        _ = global.bootstrap()
        try await reportingErrors {
            let pipeline = try target.make(global).pipeline
            if let retry {
                try await pipeline.retryPackage(retry)
                print("Pipeline \(target.pipeline): package \(retry) will be retried by the next run")
                return
            }
            if let drop {
                try pipeline.dropPackage(drop)
                print("Pipeline \(target.pipeline): package \(drop) dropped")
                return
            }
            let packages = try pipeline.packages()
            print("Pipeline \(target.pipeline): \(packages.isEmpty ? "no pending or failed packages" : "\(packages.count) package(s)")")
            for p in packages {
                let rows = p.rowCounts.map { "\($0.table) \($0.rows) row\($0.rows == 1 ? "" : "s")" }.joined(separator: ", ")
                let stage = switch p.stage {
                case .extracted: "pending (extracted, not normalized)"
                case .normalized: "pending (normalized, not loaded)"
                case .failed: "failed at \(p.failedStage ?? "load")"
                }
                print("  \(p.loadId)  \(stage)  \(rows.isEmpty ? "no rows" : rows)")
                if let error = p.error { print("    error: \(CLIError.escapingControls(error))") }
            }
        }
    }
}
