import Destinations
import Foundation
import PipelineCore
import SluiceProject
import Testing

/// `destination = "filesystem"` in sluice.toml: its settings, bucket_url from either file or the environment.
@Suite("project: filesystem destination")
struct FilesystemProjectTests {
    static let sluice = """
        [pipelines.shop]
        source = "files"
        destination = "filesystem"
        dataset = "raw"
        [pipelines.shop.tables.orders]
        path = "orders.jsonl"

        [destination.filesystem]
        file_format = "parquet"
        compression = "zstd"
        row_group_size = 5000
        file_max_items = 100000
        layout = "{table}/{YYYY}/{MM}/{load_id}.{file_id}.{ext}"
        """

    @Test func settingsComeFromSluiceTomlAndBucketURLFromSecretsOrTheEnvironment() throws {
        let folder = try ProjectTests.Folder(sluice: Self.sluice, secrets: "[destination.filesystem]\nbucket_url = \"file:///data/staging\"\n")
        defer { folder.cleanup() }
        let destination = try #require(try folder.project().pipeline("shop").destination as? FilesystemDestination)
        #expect(destination.location == "/data/staging/raw")
        #expect(destination.configuration.fileFormat == .parquet && destination.configuration.effectiveCompression == .zstd)
        #expect(destination.configuration.rowGroupSize == 5000 && destination.configuration.fileMaxItems == 100000)
        let overridden = try folder.project(environment: ["DESTINATION__FILESYSTEM__BUCKET_URL": "/elsewhere"]).pipeline("shop")
        #expect(overridden.destination.location == "/elsewhere/raw")
        // Every [destination.filesystem] key has its variable, as in dlt, and the variable wins over sluice.toml.
        let environment = ["DESTINATION__FILESYSTEM__COMPRESSION": "snappy", "DESTINATION__FILESYSTEM__ROW_GROUP_SIZE": "70"]
        let fromEnvironment = try #require(try folder.project(environment: environment).pipeline("shop").destination as? FilesystemDestination)
        #expect(fromEnvironment.configuration.effectiveCompression == .snappy && fromEnvironment.configuration.rowGroupSize == 70)
        let badVariable = #expect(throws: SluiceError.self) {
            try folder.project(environment: ["DESTINATION__FILESYSTEM__ROW_GROUP_SIZE": "many"]).pipeline("shop")
        }
        #expect(badVariable?.message.contains("DESTINATION__FILESYSTEM__ROW_GROUP_SIZE") == true, "\(String(describing: badVariable))")
        // Flags win over both.
        let flagged = try folder.project().pipeline("shop", destinationSettings: ["bucket_url": "/flag", "file_format": "csv", "compression": "gzip"])
        #expect((flagged.destination as? FilesystemDestination)?.configuration.fileExtension == "csv.gz")
    }

    @Test func unknownKeysAndBadValuesAreErrorsNamingThem() throws {
        let typo = try ProjectTests.Folder(sluice: Self.sluice + "\nbucket_uri = \"x\"\n")
        defer { typo.cleanup() }
        let error = #expect(throws: SluiceError.self) { try typo.project() }
        #expect(error?.description.contains("bucket_uri") == true)
        let format = try ProjectTests.Folder(sluice: Self.sluice.replacingOccurrences(of: "\"parquet\"", with: "\"avro\""))
        defer { format.cleanup() }
        #expect(throws: SluiceError.self) { try format.project() }
        let missing = try ProjectTests.Folder(sluice: Self.sluice)
        defer { missing.cleanup() }
        let noBucket = #expect(throws: SluiceError.self) { try missing.project().pipeline("shop") }
        #expect(noBucket?.message.contains("DESTINATION__FILESYSTEM__BUCKET_URL") == true)
    }
}
