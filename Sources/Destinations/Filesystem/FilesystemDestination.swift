import Foundation
import PipelineCore

/// Staging files for warehouses (the "S3 -> Snowpipe" pattern, dlt's `destination = filesystem`):
/// each table's rows as JSON Lines, CSV or Parquet files under `<bucket_url>/<dataset>/`, in a layout
/// of placeholders (default `<table>/<load_id>.<file_id>.<ext>`).
///
/// Files appear atomically: each is written under a hidden staging name and renamed when complete, all
/// of a load's files together after every one of them is written. A load is complete when its marker
/// `_dlt_loads/<schema>__<load_id>.jsonl` exists; the schema (`_dlt_version/`) and the pipeline state
/// (`_dlt_pipeline_state/`) are files beside the data, written before the marker, so a fresh machine
/// restores both from the bucket. `replace` removes a table's (and its child tables') earlier files
/// only after the new ones are published; `merge` is refused (files cannot be updated in place).
///
/// ```swift
/// let destination = try FilesystemDestination(dataset: "github", configuration: .init(bucketURL: "staging", fileFormat: .parquet))
/// ```
public struct FilesystemDestination: Destination {
    /// The file formats, as dlt names them.
    public enum FileFormat: String, Sendable, CaseIterable, Codable {
        case jsonl, csv, parquet
    }

    /// How files are compressed: `gzip` for JSON Lines and CSV (the whole file, `.gz` added to the name);
    /// `snappy` (Parquet's default, as pyarrow's and DuckDB's) or `zstd` for Parquet pages.
    public enum Compression: String, Sendable, CaseIterable, Codable {
        case none, gzip, snappy, zstd
    }

    /// Settings with documented defaults.
    public struct Configuration: Sendable {
        /// A local path or `file://` URL (dlt's `bucket_url`).
        public var bucketURL: String
        /// Where a table's files go under the dataset's folder (see ``FileLayout``).
        public var layout: String = FileLayout.standard
        public var fileFormat: FileFormat = .jsonl
        /// `nil`: `none` for JSON Lines and CSV, `snappy` for Parquet.
        public var compression: Compression?
        /// Rows per Parquet row group (default 131,072); a group also ends at 64 MiB of buffered values.
        public var rowGroupSize: Int = 131_072
        /// A file ends after this many rows and the next one starts; `nil` for no limit.
        public var fileMaxItems: Int?
        /// A file ends once it holds at least this many bytes; `nil` for no limit.
        public var fileMaxBytes: Int?
        /// How long a run waits for another run of the same pipeline holding the dataset's run lock.
        public var lockTimeout: Duration = .seconds(600)
        /// Where each setting was given, by key, for errors: `["bucket_url": "--bucket-url"]`,
        /// `["layout": "[destination.filesystem] layout in sluice.toml"]`. A setting not listed is named by its key.
        public var origins: [String: String] = [:]

        public init(bucketURL: String, fileFormat: FileFormat = .jsonl, compression: Compression? = nil) {
            self.bucketURL = bucketURL
            self.fileFormat = fileFormat
            self.compression = compression
        }

        /// The compression in effect.
        public var effectiveCompression: Compression { compression ?? (fileFormat == .parquet ? .snappy : .none) }

        /// `key` with its value and where it was given, as errors name it: `layout "{x}" (set by --layout)`.
        public func describe(_ key: String, _ value: String) -> String { SettingText.describe(key, value, origin: origins[key]) }

        /// The file name extension: `jsonl`, `jsonl.gz`, `csv`, `csv.gz`, `parquet`.
        public var fileExtension: String {
            fileFormat == .parquet ? "parquet" : fileFormat.rawValue + (effectiveCompression == .gzip ? ".gz" : "")
        }
    }

    public let dataset: String
    public let configuration: Configuration
    public let storage: any FileStorage
    let layout: FileLayout

    /// A destination over `storage` (a local directory by default, from ``Configuration/bucketURL``).
    ///
    /// Checks everything before a file or lock exists: errors name a bad layout, a compression the format
    /// cannot use, a limit that is not positive, or a `bucket_url` that cannot hold files (see
    /// ``LocalFileStorage/init(bucketURL:origin:)``), each with where it was given (``Configuration/origins``).
    public init(dataset: String, configuration: Configuration, storage: (any FileStorage)? = nil) throws {
        try SafeName.check(dataset, as: "dataset")
        self.dataset = dataset
        self.configuration = configuration
        layout = try FileLayout(configuration.layout, origin: configuration.origins["layout"])
        let compression = configuration.effectiveCompression
        let allowed: [Compression] = configuration.fileFormat == .parquet ? [.none, .snappy, .zstd] : [.none, .gzip]
        guard allowed.contains(compression) else {
            throw SluiceError(.configuration, "\(configuration.describe("compression", compression.rawValue)) does not apply to "
                + "\(configuration.fileFormat.rawValue) files; use one of \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        if configuration.fileFormat == .parquet, compression == .zstd, case .failure(let missing) = Zstd.system {
            throw SluiceError(.configuration, "\(configuration.describe("compression", compression.rawValue)): \(missing.message)")
        }
        for (key, value) in [("row_group_size", Optional(configuration.rowGroupSize)), ("file_max_items", configuration.fileMaxItems),
                             ("file_max_bytes", configuration.fileMaxBytes)]
        {
            if let value, value < 1 { throw SluiceError(.configuration, "\(configuration.describe(key, String(value))) must be at least 1") }
        }
        self.storage = try storage ?? LocalFileStorage(bucketURL: configuration.bucketURL, origin: configuration.origins["bucket_url"])
    }

    public var name: String { "filesystem" }
    public var location: String { storage.location + "/" + dataset }

    /// Files cannot be updated in place: `merge` is refused before anything is extracted.
    public var limits: DestinationLimits {
        var limits = DestinationLimits()
        limits.maxTableNameBytes = 200  // a folder per table: file names stop at 255 bytes, with room for the layout
        limits.refusesMerge = "it writes files and cannot update rows in place; "
            + "merge is supported by sqlite and postgres; use append or replace here, and merge in the warehouse that ingests the files"
        return limits
    }

    /// The folder of the dataset, relative to the storage's root.
    var datasetFolder: String { dataset }

    /// The files (relative to the storage's root) that hold `table`'s rows, complete loads or not.
    func files(of table: String, schemaName: String) throws -> [String] {
        let folder = layout.folder(table: table, schemaName: schemaName)
        let base = folder.isEmpty ? datasetFolder : datasetFolder + "/" + folder
        let prefix = datasetFolder + "/"
        return try storage.list(base).filter { path in
            let relative = String(path.dropFirst(prefix.count))
            return !relative.hasPrefix("_dlt_") && !relative.hasPrefix("_sluice_locks/")
                && layout.matches(relative, table: table, schemaName: schemaName)
        }
    }

    public func tableHasRows(_ table: String) async throws -> Bool? {
        for schemaName in try schemaNames() where try !files(of: table, schemaName: schemaName).isEmpty { return true }
        return false
    }

    public func drop(_ schema: Schema) async throws {
        try await storage.withLock("commit", in: datasetFolder, timeout: configuration.lockTimeout) {
            for table in schema.dataTables {
                for file in try files(of: table.name, schemaName: schema.name) { try storage.remove(file) }
            }
            for file in try storage.list(datasetFolder + "/_dlt_version") where fileName(file).hasPrefix(schema.name + "__") {
                try storage.remove(file)
            }
            for file in try storage.list(datasetFolder + "/_dlt_pipeline_state") where fileName(file).hasPrefix(schema.name + "__") {
                try storage.remove(file)
            }
        }
    }

    /// Runs of `pipeline` into this dataset take turns: an exclusive lock file under the dataset's folder.
    public func withRunLock<T>(pipeline: String, _ body: () async throws -> T) async throws -> T {
        try await storage.withLock("run-" + pipeline, in: datasetFolder, timeout: configuration.lockTimeout, body)
    }

    func fileName(_ path: String) -> String { String(path.split(separator: "/").last ?? "") }
}
