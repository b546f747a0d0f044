import SluiceProject
import ArgumentParser
import Destinations
import Foundation
import DatabaseClients
import PipelineCore

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a pipeline's tables, columns with types, row counts and last loads.")

    @OptionGroup var target: PipelineOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.bootstrap()
        try await reportingErrors {
            let pipeline = target.pipeline
            guard let destination = try target.make(global).pipeline.destination as? any InspectableDestination else {
                throw SluiceError(.configuration, "this destination cannot be inspected")
            }
            guard let schema = try await destination.storedSchema(named: pipeline) else {
                throw SluiceError(.configuration, "pipeline \(pipeline) has not loaded anything into \(destination.name) at \(destination.location) yet")
            }
            print("Pipeline \(pipeline): \(destination.name) at \(destination.location), schema version \(schema.version)")
            for table in schema.dataTables {
                let count = try await destination.rowCount(table.name).map { $0 == 1 ? "1 row" : "\($0) rows" } ?? "no table"
                let parent = table.parent.map { ", child of \($0)" } ?? ""
                print("\n\(table.name) (\(count), \(table.writeDisposition.rawValue)\(parent))")
                for c in table.columns {
                    var flags: [String] = []
                    if c.primaryKey { flags.append("primary key") }
                    if c.mergeKey { flags.append("merge key") }
                    if !c.nullable { flags.append("not null") }
                    if c.variant { flags.append("variant") }
                    print("  \(c.name)  \(c.dataType.rawValue)\(flags.isEmpty ? "" : "  (" + flags.joined(separator: ", ") + ")")")
                }
            }
            print("\nLast loads:")
            for (loadId, insertedAt) in try await destination.lastLoads(limit: 5) { print("  \(loadId)  \(insertedAt)") }
        }
    }
}
