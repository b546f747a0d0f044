import ArgumentParser
import CSQLite
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
            guard let sqlite = destination as? SQLiteDestination,
                FileManager.default.fileExists(atPath: sqlite.path)
            else {
                throw SluiceError(.configuration, "pipeline \(pipeline) has not loaded anything into \(destination.name) yet")
            }
            guard let schema = try await sqlite.storedSchema(named: pipeline) else {
                throw SluiceError(.configuration, "no schema stored for pipeline \(pipeline)", file: sqlite.path)
            }
            try sqlite.withConnection { db in
                print("Pipeline \(pipeline): \(sqlite.path), schema version \(schema.version)")
                for table in schema.dataTables {
                    let count = try db.query("SELECT count(*) FROM \(quoteIdentifier(table.name))").first?[0] ?? "0"
                    let parent = table.parent.map { ", child of \($0)" } ?? ""
                    print("\n\(table.name) (\(count ?? "0") rows, \(table.writeDisposition.rawValue)\(parent))")
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
                for row in try db.query("SELECT load_id, inserted_at FROM _dlt_loads ORDER BY load_id DESC LIMIT 5") {
                    print("  \(row[0] ?? "")  \(row[1] ?? "")")
                }
            }
        }
    }
}
