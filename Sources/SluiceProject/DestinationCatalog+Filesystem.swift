import Destinations
import Foundation
import PipelineCore

extension DestinationCatalog {
    /// The keys of `[destination.filesystem]` in sluice.toml (`bucket_url` may also be in secrets.toml, or
    /// `DESTINATION__FILESYSTEM__BUCKET_URL`, as dlt allows).
    public static let filesystemKeys = ["bucket_url", "layout", "file_format", "compression", "row_group_size", "file_max_items",
                                        "file_max_bytes"]

    /// The filesystem destination from `[destination.filesystem]` and the run's flags: files under
    /// `<bucket_url>/<dataset>/`, the dataset defaulting to the pipeline's name.
    static func filesystem(_ request: Request) throws -> any Destination {
        func setting(_ key: String) -> String? { request.setting(key, of: "filesystem", secret: key == "bucket_url") }
        guard let bucketURL = setting("bucket_url") else {
            throw SluiceError(.configuration, "the filesystem destination needs a bucket_url: set [destination.filesystem] bucket_url "
                + "in sluice.toml or secrets.toml (a local path or a file:// URL), DESTINATION__FILESYSTEM__BUCKET_URL, or --bucket-url")
        }
        var configuration = FilesystemDestination.Configuration(bucketURL: bucketURL)
        for key in filesystemKeys {
            configuration.origins[key] = request.origin(of: key, of: "filesystem", secret: key == "bucket_url")
        }
        if let text = setting("file_format") {
            guard let format = FilesystemDestination.FileFormat(rawValue: text) else {
                throw SluiceError(.configuration, "\(configuration.describe("file_format", text)) is not one of "
                    + FilesystemDestination.FileFormat.allCases.map(\.rawValue).joined(separator: ", "))
            }
            configuration.fileFormat = format
        }
        if let text = setting("compression") {
            guard let compression = FilesystemDestination.Compression(rawValue: text) else {
                throw SluiceError(.configuration, "\(configuration.describe("compression", text)) is not one of "
                    + FilesystemDestination.Compression.allCases.map(\.rawValue).joined(separator: ", "))
            }
            configuration.compression = compression
        }
        if let layout = setting("layout") { configuration.layout = layout }
        func number(_ key: String) throws -> Int? {
            guard let text = setting(key) else { return nil }
            guard let n = Int(text) else { throw SluiceError(.configuration, "\(configuration.describe(key, text)) must be a whole number") }
            return n
        }
        if let n = try number("row_group_size") { configuration.rowGroupSize = n }
        configuration.fileMaxItems = try number("file_max_items")
        configuration.fileMaxBytes = try number("file_max_bytes")
        return try FilesystemDestination(dataset: request.dataset ?? request.pipeline, configuration: configuration)
    }
}
