import Foundation
import PipelineCore

/// The `files` source package: one resource per table, each reading local JSON Lines, JSON or CSV
/// files (plain or gzip).
///
/// ```toml
/// [pipelines.sample]
/// source = "files"
///
/// [pipelines.sample.tables.trips]
/// path = "samples/trips.csv.gz"
/// write_disposition = "replace"
/// primary_key = ["trip_id"]
/// columns = { fare_amount = "double" }
/// ```
public enum FilesSource {
    /// The settings of one table: where its files are and how to read them, and the hints every source
    /// shares (``TableSettings``: write disposition, keys, incremental, contract, privacy, column types).
    public struct Table: Codable, Sendable {
        public var path: String?
        public var paths: [String]?
        public var format: FileFormat?
        /// CSV field separator: one character (`;`, `|`, `tab`); detected from the header row when not given.
        public var delimiter: String?
        public var settings: TableSettings

        enum CodingKeys: String, CodingKey { case path, paths, format, delimiter }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decodeIfPresent(String.self, forKey: .path)
            paths = try c.decodeIfPresent([String].self, forKey: .paths)
            format = try c.decodeIfPresent(FileFormat.self, forKey: .format)
            delimiter = try c.decodeIfPresent(String.self, forKey: .delimiter)
            settings = try TableSettings(from: decoder)  // the shared keys, from the same section
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(path, forKey: .path)
            try c.encodeIfPresent(paths, forKey: .paths)
            try c.encodeIfPresent(format, forKey: .format)
            try c.encodeIfPresent(delimiter, forKey: .delimiter)
            try settings.encode(to: encoder)
        }
    }

    /// An incremental cursor as written in `sluice.toml` (kept under its old name).
    public typealias IncrementalSettings = TableSettings.IncrementalSettings

    public struct Settings: Codable, Sendable {
        public var tables: [String: Table]
    }

    /// Builds the source from a pipeline section's JSON settings.
    @Sendable public static func build(pipeline: String, settings: Data) throws -> Source {
        let decoded: Settings
        do {
            decoded = try JSONDecoder().decode(Settings.self, from: settings)
        } catch {
            throw SluiceError(.configuration, "pipeline \(pipeline): the files source needs [pipelines.\(pipeline).tables.<name>] sections with a path (\(decodingSummary(error)))")
        }
        let resources = try decoded.tables.keys.sorted().map { name -> Resource in
            let table = decoded.tables[name]!
            let paths = table.paths ?? table.path.map { [$0] } ?? []
            if table.path != nil && table.paths != nil {
                throw SluiceError(.configuration, "[pipelines.\(pipeline).tables.\(name)]: give path or paths, not both")
            }
            do { try table.settings.check(table: name) } catch var error as SluiceError {
                error.message = "[pipelines.\(pipeline).tables.\(name)]: " + error.message
                throw error
            }
            let types = table.settings.columns ?? [:]
            let all = table.settings.hints(table: name)
            var csv = CSVReader.Options(columnTypes: types)
            do {
                csv.delimiter = try table.delimiter.map(CSVReader.Options.delimiter(parsing:))
            } catch var error as SluiceError {
                error.message = "[pipelines.\(pipeline).tables.\(name)] delimiter: " + error.message
                throw error
            }
            return try FileResource.make(name: name, paths: paths, format: table.format, hints: all, csv: csv)
        }
        return Source(name: "files", resources: resources)
    }
}
