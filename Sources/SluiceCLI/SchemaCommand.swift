import SluiceProject
import ArgumentParser
import Foundation
import PipelineCore
import Pipelines

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Export a pipeline's schema, or import a schema file to pin types and hints.",
        discussion: """
            sluice schema github --format yaml > github.schema.yaml
            sluice schema github --import github.schema.json   # JSON; types and hints in it win
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, yaml }

    @OptionGroup var target: PipelineOptions

    @Option(help: "json or yaml.")
    var format: Format = .json

    @Option(name: .customLong("import"), help: "A schema file (JSON) to pin into the pipeline's schema.")
    var importPath: String?

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.bootstrap()
        try await reportingErrors {
            let p = try target.make(global).pipeline
            let pipeline = target.pipeline
            if let importPath {
                guard let data = FileManager.default.contents(atPath: importPath) else {
                    throw SluiceError(.configuration, "cannot read the schema file", file: importPath)
                }
                let imported: Schema
                do { imported = try JSONDecoder().decode(Schema.self, from: data) } catch {
                    throw SluiceError(.configuration, "not a schema: \(error)", file: importPath)
                }
                guard imported.name == pipeline else {
                    throw SluiceError(.configuration, "not a schema of pipeline \(pipeline) (its name is '\(imported.name)')", file: importPath)
                }
                guard !imported.tables.isEmpty else {
                    throw SluiceError(.configuration, "not a schema: it has no tables", file: importPath)
                }
                let schema = try await p.importSchema(imported)
                print("Pipeline \(pipeline): schema version \(schema.version) with \(imported.tables.count) table(s) pinned from \(importPath)")
                return
            }
            let schema = try await p.currentSchema()
            guard !schema.tables.isEmpty else { throw SluiceError(.configuration, "pipeline \(pipeline) has no schema yet") }
            print(format == .json ? try schema.jsonText() : schema.yamlText(), terminator: format == .json ? "\n" : "")
        }
    }
}
