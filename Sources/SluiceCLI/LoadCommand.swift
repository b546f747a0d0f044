import SluiceProject
import ArgumentParser
import Destinations
import Foundation
import DatabaseClients
import PipelineCore
import Pipelines
import Sources

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load files ad hoc into a table (JSON Lines, JSON or CSV; gzip detected from the name).",
        discussion: "Example: sluice load data/*.jsonl.gz --table events --write-disposition merge --primary-key id")

    @Argument(help: "Files to load, in order.")
    var paths: [String]

    @Option(help: "Destination table.")
    var table: String

    @Option(help: "File format: jsonl, json or csv (default: from the file name).")
    var format: FileFormat?

    @Option(help: "CSV field separator: one character such as ';' or '|', or 'tab' (default: detected from the header row).")
    var delimiter: String?

    @Option(help: "append, replace or merge.")
    var writeDisposition: WriteDisposition = .append

    @Option(help: "Primary key column(s), comma separated; required by merge.")
    var primaryKey: String?

    @Option(help: "Load incrementally on this cursor column (or nested path a.b): only rows past the stored cursor.")
    var incremental: String?

    @Option(help: "With --incremental: where the first run starts.")
    var initialValue: String?

    @Option(help: "With --incremental: backfill up to (excluding) this value, leaving the stored cursor alone.")
    var endValue: String?

    @Option(help: "With merge: delete-insert, upsert or scd2.")
    var mergeStrategy: MergeStrategy?

    @Option(help: "Merge key column(s), comma separated: rows whose merge key is in the load are replaced.")
    var mergeKey: String?

    @Option(help: "With merge: a column whose set value deletes the row with that key.")
    var hardDelete: String?

    @Option(help: "A column to drop at extract, so it never leaves the source (repeatable).")
    var exclude: [String] = []

    @Option(help: "A column to replace by its salted SHA-256 (repeatable; the salt is [privacy] salt in secrets.toml or PRIVACY__SALT).")
    var hash: [String] = []

    @Option(help: "Schema contract for all changes: evolve, freeze, discard_row or discard_value.")
    var contract: SchemaContract.Mode?

    @Option(help: "Pipeline name (default: the table name).")
    var pipeline: String?

    @Option(help: "Dataset name (default: the pipeline name).")
    var dataset: String?

    @Option(help: "Destination: sqlite, postgres (credentials: [destination.postgres.credentials] in secrets.toml) or filesystem.")
    var destination = "sqlite"

    @OptionGroup var filesystem: FilesystemFlags

    @Flag(help: "No live progress line on a terminal.")
    var quiet = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.bootstrap()
        let name = pipeline ?? table
        try await reportingErrors {
            try SafeName.check(table, as: "table")
            try SafeName.check(name, as: "pipeline")
            if let dataset { try SafeName.check(dataset, as: "dataset") }
            let project = try global.project()
            guard incremental != nil || (initialValue == nil && endValue == nil) else {
                throw SluiceError(.configuration, "--initial-value and --end-value need --incremental CURSOR")
            }
            let hints = settings.hints(table: table)
            let csv = CSVReader.Options(delimiter: try delimiter.map(CSVReader.Options.delimiter(parsing:)))
            let resource = try FileResource.make(name: table, paths: paths, format: format, hints: hints, csv: csv)
            try filesystem.check(destination: destination)
            let destinationSettings = filesystem.settings
            let pipeline = try project.pipeline(name, destination: destination, dataset: dataset, destinationSettings: destinationSettings)
            logger.info("loading \(paths.count) file(s) into \(table)")
            let progress = LoadProgress.forCommand(pipeline: name, global: global, quiet: quiet, logger: logger)
            let info = try await progress.watch { try await pipeline.run(progress.wrap(Source(name: "files", resources: [resource]))) }
            // Recorded for `sluice run <pipeline>` and `sluice pipelines`.
            var spec = try LoadSpec.read(pipeline: name, workingDirectory: global.workingDirectory)
                ?? LoadSpec(destination: destination, dataset: dataset, tables: [:])
            // This load's flags over those recorded for the same destination (`--file-format` alone keeps the bucket).
            let kept = spec.destination == destination ? (spec.destinationSettings ?? [:]).merging(destinationSettings) { _, new in new } : destinationSettings
            spec.destination = destination
            spec.dataset = dataset
            spec.destinationSettings = kept.isEmpty ? nil : kept
            spec.tables[table] = tableSettings
            try spec.write(pipeline: name, workingDirectory: global.workingDirectory)
            print(info)
        }
    }
}

extension LoadCommand {
    /// The flags as the table settings every source shares (the same mapping to hints as sluice.toml's).
    var settings: TableSettings {
        var t = TableSettings()
        t.writeDisposition = writeDisposition
        t.primaryKey = Self.list(primaryKey)
        t.mergeKey = Self.list(mergeKey)
        t.mergeStrategy = mergeStrategy
        t.hardDelete = hardDelete
        t.incremental = incremental.map { TableSettings.IncrementalSettings(cursor: $0, initialValue: initialValue, endValue: endValue) }
        t.contract = contract.map(SchemaContract.init)
        t.exclude = exclude
        t.hash = hash
        return t
    }

    /// This load's table as a `files` source section, paths made absolute.
    var tableSettings: [String: JSONValue] {
        let cwd = FileManager.default.currentDirectoryPath
        var t: [String: JSONValue] = [
            "paths": .strings(paths.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 }),
            "write_disposition": .string(writeDisposition.rawValue),
        ]
        if let format { t["format"] = .string(format.rawValue) }
        if let delimiter { t["delimiter"] = .string(delimiter) }
        if !Self.list(primaryKey).isEmpty { t["primary_key"] = .strings(Self.list(primaryKey)) }
        if !Self.list(mergeKey).isEmpty { t["merge_key"] = .strings(Self.list(mergeKey)) }
        if let mergeStrategy { t["merge_strategy"] = .string(mergeStrategy.rawValue) }
        if let hardDelete { t["hard_delete"] = .string(hardDelete) }
        if !exclude.isEmpty { t["exclude"] = .strings(exclude) }
        if !hash.isEmpty { t["hash"] = .strings(hash) }
        if let contract { t["contract"] = .object(["tables": contract.rawValue, "columns": contract.rawValue, "data_type": contract.rawValue]) }
        if let incremental {
            var i = ["cursor": incremental]
            i["initial_value"] = initialValue
            i["end_value"] = endValue
            t["incremental"] = .object(i)
        }
        return t
    }

    /// `a, b` -> `["a", "b"]`.
    static func list(_ text: String?) -> [String] {
        text?.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
    }
}

extension FileFormat: ExpressibleByArgument {}
extension MergeStrategy: ExpressibleByArgument {}
extension SchemaContract.Mode: ExpressibleByArgument {}
extension WriteDisposition: ExpressibleByArgument {}

/// Prints a Sluice error as one clear line and exits non-zero (ArgumentParser prefixes `Error: `).
struct CLIError: Error, CustomStringConvertible {
    let error: SluiceError
    init(_ error: SluiceError) { self.error = error }
    var description: String { Self.escapingControls("\(error)") }

    /// `text` with control characters (from the data: NUL, escapes that would drive the terminal) written
    /// as `\u{..}`, so an error is one line of plain text; and so are the invisible characters that would
    /// change how the rest of the line reads: zero-width ones, line and paragraph separators, the
    /// bidirectional overrides and isolates (U+202A-202E, U+2066-2069: "Trojan Source"), the BOM.
    static func escapingControls(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x20 || (0x7F...0x9F).contains(v) || (0x200B...0x200F).contains(v) || (0x2028...0x202E).contains(v)
                || (0x2060...0x2069).contains(v) || v == 0xFEFF
            {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
