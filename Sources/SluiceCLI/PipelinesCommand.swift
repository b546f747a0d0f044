import SluiceProject
import ArgumentParser
import Foundation
import PipelineCore

/// `sluice pipelines`: the pipelines of this project, declared in sluice.toml or made by `sluice load`.
struct PipelinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelines", abstract: "List the pipelines: those of sluice.toml and those made by `sluice load`.",
        aliases: ["ls"])

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reportingErrors {
            let config = try global.project().config
            var rows = [["PIPELINE", "SOURCE", "DESTINATION", "DATASET", "TABLES"]]
            for name in config.pipelineNames {
                let section = try config.pipeline(name).section
                let tables = config.table?["pipelines"]?.table?[name]?.table?["tables"]?.table?.keys.sorted() ?? []
                rows.append([name, section.source, section.destination ?? "sqlite", section.dataset ?? name,
                             tables.isEmpty ? "-" : tables.joined(separator: ", ")])
            }
            for name in PipelineList.loaded(workingDirectory: global.workingDirectory) where !config.pipelineNames.contains(name) {
                let spec = try LoadSpec.read(pipeline: name, workingDirectory: global.workingDirectory)
                rows.append([name, "sluice load", spec?.destination ?? "sqlite", spec?.dataset ?? name,
                             spec.map { $0.tables.keys.sorted().joined(separator: ", ") } ?? "-"])
            }
            if rows.count == 1 { print("no pipelines: declare them in \(config.path) or make one with `sluice load`"); return }
            print(RunFormatting.table(rows))
        }
    }
}

/// The names of the pipelines there are.
enum PipelineList {
    /// Pipelines made by `sluice load` in `workingDirectory`.
    static func loaded(workingDirectory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: workingDirectory)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: LoadSpec.path(pipeline: $0, workingDirectory: workingDirectory)) }.sorted()
    }

    /// Every pipeline: declared, then loaded.
    static func names(_ config: ProjectConfig, workingDirectory: String) -> [String] {
        config.pipelineNames + loaded(workingDirectory: workingDirectory).filter { !config.pipelineNames.contains($0) }
    }
}
