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
            let destination = try target.make(global).pipeline.destination
            // Every destination has the schema; row counts and loads only one that can report them.
            let inspectable = destination as? any InspectableDestination
            guard let schema = try await destination.storedSchema(named: pipeline) else {
                throw SluiceError(.configuration, "pipeline \(pipeline) has not loaded anything into \(destination.name) at \(destination.location) yet")
            }
            print("Pipeline \(pipeline): \(destination.name) at \(destination.location), schema version \(schema.version)")
            for table in schema.dataTables {
                var count = "rows not reported"
                if let inspectable { count = try await inspectable.rowCount(table.name).map { $0 == 1 ? "1 row" : "\($0) rows" } ?? "no table" }
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
            guard let inspectable else {
                print("  not reported: the \(destination.name) destination cannot count rows or list loads (it is no InspectableDestination)")
                return
            }
            let loads = try await inspectable.lastLoads(limit: 5)
            if loads.isEmpty { print("  none") }
            for (loadId, insertedAt) in loads { print("  \(loadId)  \(insertedAt)") }
        }
    }
}
