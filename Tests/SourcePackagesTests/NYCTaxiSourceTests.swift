import Foundation
import PipelineCore
import SluiceTesting
import Sources
import Synchronization
import Testing

/// `nyc_taxi` against a loopback server holding monthly CSV.gz files named as DataTalksClub publishes them
/// (`yellow/yellow_tripdata_2019-01.csv.gz`), with the TLC's yellow-taxi columns.
@Suite("nyc_taxi end to end")
struct NYCTaxiSourceTests {
    static let header = "VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,RatecodeID,store_and_fwd_flag,"
        + "PULocationID,DOLocationID,payment_type,fare_amount,extra,mta_tax,tip_amount,tolls_amount,improvement_surcharge,total_amount,congestion_surcharge"

    /// `rows` trips of `month` 2019 as CSV text; `congestion_surcharge` is empty in the first 250 rows, as in the real January file.
    static func csv(month: Int, rows: Int) -> String {
        var lines = [header]
        for k in 0..<rows {
            let minute = k % 60, hour = (k / 60) % 24, day = 1 + k / 1440
            let pickup = String(format: "2019-%02d-%02d %02d:%02d:00", month, day, hour, minute)
            let dropoff = String(format: "2019-%02d-%02d %02d:%02d:30", month, day, hour, minute)
            let fare = Double(5 + k % 20) + 0.5
            let surcharge = k < 250 ? "" : "2.5"
            lines.append("\(1 + k % 2),\(pickup),\(dropoff),\(1 + k % 4),\(Double(k % 30) / 10),1,N,\(100 + k % 50),\(200 + k % 40),1,\(fare),0.5,0.5,1,0,0.3,\(fare + 2.3),\(surcharge)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    final class Files: Sendable {
        let missing = Shared<Set<String>>([])
        let server: FixtureHTTPServer
        init(rows: Int) throws {
            let missing = self.missing
            let files = Dictionary(uniqueKeysWithValues: (1...3).map { month in
                (String(format: "/yellow/yellow_tripdata_2019-%02d.csv.gz", month), gzipped(Data(NYCTaxiSourceTests.csv(month: month, rows: rows).utf8)))
            })
            server = try FixtureHTTPServer { request, _ in
                guard let body = files[request.path], !missing.withLock({ $0.contains(request.path) }) else {
                    return .respond(status: 404, headers: ["Content-Type": "text/plain"], body: Data("Not Found".utf8))
                }
                return .respond(status: 200, headers: ["Content-Type": "application/octet-stream"], body: body)
            }
        }
    }

    static func toml(_ server: FixtureHTTPServer, months: [Int]) -> String {
        """
        [pipelines.taxi]
        source = "nyc_taxi"
        base_url = "\(server.baseURL)/"
        colour = "yellow"
        year = 2019
        months = \(months)
        chunk_size = 4096

        """
    }

    @Test func gzippedCSVIsStreamedInChunksAndEachMonthLoadedOnce() async throws {
        #expect(Self.csv(month: 1, rows: 300).utf8.count > 6 * 4096, "the file spans several chunks of chunk_size")
        let files = try Files(rows: 300)
        defer { files.server.stop() }
        let project = try PackageProject(Self.toml(files.server, months: [1]))
        defer { project.cleanup() }
        try await project.run("taxi")
        #expect(try project.rows("taxi", "SELECT count(*), count(congestion_surcharge), sum(fare_amount), count(DISTINCT vendor_id) FROM yellow_tripdata")
            == [["300", "50", String(format: "%.1f", (0..<300).map { Double(5 + $0 % 20) + 0.5 }.reduce(0, +)), "2"]])
        let first = try project.rows("taxi", "SELECT tpep_pickup_datetime, typeof(passenger_count) FROM yellow_tripdata ORDER BY tpep_pickup_datetime LIMIT 1")
        #expect(first == [["2019-01-01T00:00:00+00:00", "real"]])
        // More months later: only the new one is downloaded, nothing is loaded twice.
        try project.rewrite(Self.toml(files.server, months: [1, 2]))
        try await project.run("taxi")
        #expect(files.server.requests.map(\.path) == ["/yellow/yellow_tripdata_2019-01.csv.gz", "/yellow/yellow_tripdata_2019-02.csv.gz"])
        #expect(try project.rows("taxi", "SELECT substr(tpep_pickup_datetime, 1, 7), count(*) FROM yellow_tripdata GROUP BY 1 ORDER BY 1")
            == [["2019-01", "300"], ["2019-02", "300"]])
    }

    @Test func aMissingMonthFailsTheRunNamingTheURLAndLoadsNothing() async throws {
        let files = try Files(rows: 20)
        defer { files.server.stop() }
        files.missing.withLock { $0 = ["/yellow/yellow_tripdata_2019-03.csv.gz"] }
        let project = try PackageProject(Self.toml(files.server, months: [1, 3]))
        defer { project.cleanup() }
        let message = await errorMessage { try await project.run("taxi") }
        #expect(message.contains("GET \(files.server.baseURL)/yellow/yellow_tripdata_2019-03.csv.gz: HTTP 404: Not Found"), "\(message)")
        let tables = FileManager.default.fileExists(atPath: project.path + "/taxi.sqlite")
            ? try project.rows("taxi", "SELECT count(*) FROM sqlite_master WHERE name = 'yellow_tripdata'") : [["0"]]
        #expect(tables == [["0"]])
        // Published later: the next run loads both months, January once.
        files.missing.withLock { $0 = [] }
        try await project.run("taxi")
        #expect(try project.rows("taxi", "SELECT count(*) FROM yellow_tripdata") == [["40"]])
    }

    @Test func aDownloadCutShortIsRetriedThenFailsAndLeavesNoFile() async throws {
        let body = gzipped(Data(Self.csv(month: 1, rows: 50).utf8))
        let server = try FixtureHTTPServer { _, _ in .truncated(status: 200, headers: [:], body: body, sent: body.count / 2) }
        defer { server.stop() }
        let clock = FastForwardClock()
        var configuration = RESTClient.Configuration(baseURL: URL(string: server.baseURL + "/")!)
        configuration.retry.maximumAttempts = 3
        let client = RESTClient(configuration, clock: clock)
        let target = try TemporaryDirectory.make("download") + "/trips.csv.gz"
        let message = await errorMessage { try await client.download("yellow/yellow_tripdata_2019-01.csv.gz", to: target) }
        #expect(message.contains("GET \(server.baseURL)/yellow/yellow_tripdata_2019-01.csv.gz") && message.contains("after 3 attempts"), "\(message)")
        #expect(server.requests.count == 3)
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(try FileManager.default.contentsOfDirectory(atPath: (target as NSString).deletingLastPathComponent).isEmpty)
    }

    /// A download goes to its destination and nowhere else: URLSession's download tasks on Linux left a
    /// copy of every file (`<UUID>.tmp`) in the system's temporary folder.
    @Test func aDownloadLeavesNoFileInTheTemporaryFolder() async throws {
        let body = gzipped(Data(Self.csv(month: 1, rows: 50).utf8))
        let server = try FixtureHTTPServer { _, _ in .respond(status: 200, headers: [:], body: body) }
        defer { server.stop() }
        let client = RESTClient(RESTClient.Configuration(baseURL: URL(string: server.baseURL + "/")!))
        let folder = try TemporaryDirectory.make("download")
        let temporary = NSTemporaryDirectory()
        func leftovers() throws -> Set<String> {
            Set(try FileManager.default.contentsOfDirectory(atPath: temporary).filter { $0.hasSuffix(".tmp") })
        }
        let before = try leftovers()
        for k in 0..<3 { try await client.download("yellow/yellow_tripdata_2019-01.csv.gz", to: folder + "/\(k).csv.gz") }
        #expect(try leftovers().subtracting(before).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["0.csv.gz", "1.csv.gz", "2.csv.gz"])
        #expect(FileManager.default.contents(atPath: folder + "/2.csv.gz") == body)
    }
}

extension PackageProject {
    /// Replaces sluice.toml (the destination section kept).
    func rewrite(_ sluice: String) throws {
        try ("[destination.sqlite]\npath = \"\(path)/{pipeline}.sqlite\"\n\n" + sluice).write(toFile: path + "/sluice.toml", atomically: true, encoding: .utf8)
    }
}
