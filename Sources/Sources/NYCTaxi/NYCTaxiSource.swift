import Foundation
import PipelineCore

/// The `nyc_taxi` source package: NYC TLC trip records, the classic ingestion tutorial's data, as the
/// monthly CSV.gz files DataTalksClub republishes (`{colour}/{colour}_tripdata_{year}-{MM}.csv.gz` under
/// `https://github.com/DataTalksClub/nyc-tlc-data/releases/download/`), appended to `yellow_tripdata` or
/// `green_tripdata`.
///
/// Each file is streamed to a scratch file as it downloads (memory stays flat), then inflated and read
/// in chunks of `chunk_size` bytes by the CSV reader, rows going to the load package as they are parsed;
/// the scratch file is removed after. Files a run loaded are kept in the resource's state (committed
/// with the rows), so a later run with more months loads only the new ones and none twice.
///
/// ```toml
/// [pipelines.nyc_taxi]
/// source = "nyc_taxi"
/// colour = "yellow"        # or "green"
/// year = 2019
/// months = [1, 2, 3]       # default: all twelve
/// ```
public enum NYCTaxiSource: SourcePackage {
    public static let name = "nyc_taxi"
    public static let defaultBaseURL = "https://github.com/DataTalksClub/nyc-tlc-data/releases/download/"
    public static let colours = ["yellow", "green"]

    /// `[pipelines.<p>]` keys of the `nyc_taxi` source.
    public struct Settings: SourceSettings {
        public var baseURL: String?
        /// `yellow` or `green`.
        public var colour: String
        public var year: Int
        /// 1 to 12 (default: all).
        public var months: [Int]?
        /// Bytes inflated and parsed at a time (default 1 MiB); memory stays near this plus the longest row.
        public var chunkSize: Int?

        public static let keys: Set<String> = ["base_url", "colour", "year", "months", "chunk_size"]
        enum CodingKeys: String, CodingKey {
            case colour, year, months
            case baseURL = "base_url"
            case chunkSize = "chunk_size"
        }
    }

    /// Types of the TLC columns that inference could get wrong (all-empty samples, `1` then `1.5`).
    static func columnTypes(_ colour: String) -> [String: DataType] {
        let prefix = colour == "green" ? "lpep" : "tpep"
        var types: [String: DataType] = ["\(prefix)_pickup_datetime": .timestamp, "\(prefix)_dropoff_datetime": .timestamp]
        for column in ["passenger_count", "trip_distance", "fare_amount", "extra", "mta_tax", "tip_amount", "tolls_amount",
                       "improvement_surcharge", "total_amount", "congestion_surcharge", "ehail_fee"]
        {
            types[column] = .double
        }
        return types
    }

    public static func build(pipeline: String, settings: Data) throws -> Source {
        try source(pipeline: pipeline, try Settings.decode(settings, source: name, pipeline: pipeline))
    }

    public static func source(pipeline: String, _ s: Settings) throws -> Source {
        let section = "[pipelines.\(pipeline)]"
        guard colours.contains(s.colour) else {
            throw SluiceError(.configuration, "\(section) colour: expected \"yellow\" or \"green\"")
        }
        guard (2009...2100).contains(s.year) else { throw SluiceError(.configuration, "\(section) year: expected a year from 2009") }
        let months = s.months ?? Array(1...12)
        guard !months.isEmpty, months.allSatisfy((1...12).contains) else {
            throw SluiceError(.configuration, "\(section) months: expected numbers from 1 to 12")
        }
        var options = CSVReader.Options(columnTypes: columnTypes(s.colour))
        if let chunk = s.chunkSize {
            guard chunk >= 1024 else { throw SluiceError(.configuration, "\(section) chunk_size: expected at least 1024 bytes") }
            options.chunkSize = chunk
        }
        var configuration = try PackageClient.configuration(s.baseURL ?? defaultBaseURL, pipeline: pipeline)
        configuration.timeout = .seconds(300)
        let client = RESTClient(configuration)
        let files = months.sorted().map { String(format: "%@/%@_tripdata_%04d-%02d.csv.gz", s.colour, s.colour, s.year, $0) }
        let trips = Resource(name: "\(s.colour)_tripdata", hints: ResourceHints(writeDisposition: .append)) { [options] out in
            var loaded = out.state("files").map { $0.split(separator: ",").map(String.init) } ?? []
            for file in files where !loaded.contains(file) {
                let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(pipeline)-\(UUID().uuidString).csv.gz").path
                defer { try? FileManager.default.removeItem(atPath: scratch) }
                let response = try await client.download(file, to: scratch)
                do {
                    try await CSVReader(path: scratch, options: options).read(into: out)
                } catch var error as SluiceError {
                    error.file = RESTRedaction.redact(response.url)  // the file as the user knows it, not the scratch copy
                    throw error
                }
                loaded.append(file)
                out.setState("files", loaded.joined(separator: ","))
            }
        }
        return Source(name: name, resources: [trips])
    }
}
