import ArgumentParser
import Destinations
import Foundation
import PipelineCore
import Pipelines
import SluiceTesting
import Sources

#if canImport(Glibc)
import Glibc
#endif

/// The REST client against a loopback API in the same process: `--pages` pages of `--per-page` records
/// (offset pagination with a total), read page by page into rows, or (with `--load`) loaded into SQLite
/// through a pipeline. The server renders each page when asked, so memory is the client's (and the
/// engine's) plus one page.
struct RESTBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rest",
        abstract: "Read a paginated loopback API with the REST client; print pages/s, records/s and peak RSS.",
        discussion: "Example: swift run -c release sluice-bench rest --pages 1000 --per-page 100 --load")

    @Option(help: "Pages to read.")
    var pages = 1000

    @Option(help: "Records per page.")
    var perPage = 100

    @Flag(help: "Load the records into a SQLite file (a temporary one) through a pipeline, instead of only reading them.")
    var load = false

    func run() async throws {
        let (total, size) = (pages * perPage, perPage)
        let server = try FixtureHTTPServer { request, _ in
            let offset = Int(request.query["offset"] ?? "0") ?? 0
            var body = "{\"total\":\(total),\"data\":["
            for id in offset..<min(offset + size, total) {
                if id > offset { body += "," }
                body += #"{"id":\#(id),"name":"item \#(id)","updated_at":"2024-05-01T10:00:00Z","amount":\#(Double(id) / 4),"#
                    + #""active":\#(id % 2 == 0),"owner":{"login":"user\#(id % 97)","id":\#(id % 97)}}"#
            }
            return .json(body + "]}")
        }
        defer { server.stop() }
        var configuration = RESTClient.Configuration(baseURL: URL(string: server.baseURL + "/")!)
        configuration.paginator = OffsetPaginator(limit: perPage, totalPath: "total")
        let client = RESTClient(configuration)
        let endpoint = RESTEndpoint(path: "items", selector: RecordSelector("data"))

        let clock = ContinuousClock()
        let start = clock.now
        var records = 0
        if load {
            let dir = NSTemporaryDirectory() + "sluice-bench-rest-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var options = Pipeline.Configuration()
            options.workingDirectory = dir + "/.sluice"
            let pipeline = Pipeline(name: "rest_bench", destination: SQLiteDestination(path: dir + "/rest.sqlite"), configuration: options)
            let resource = client.resource("items", endpoint: endpoint, hints: ResourceHints(writeDisposition: .append))
            _ = try await pipeline.run(Source(name: "rest", resources: [resource]))
            records = total
        } else {
            for try await page in client.pages(endpoint.path, selector: endpoint.selector) { records += page.rows.count }
        }
        let elapsed = clock.now - start
        guard records == total, server.requests.count == pages else {
            throw ValidationError("read \(records) records in \(server.requests.count) requests, expected \(total) in \(pages)")
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("\(total) records over \(pages) pages from a loopback API, \(load ? "loaded into SQLite" : "read into rows")")
        print(String(format: "wall %.3f s, %.0f pages/s, %.0f records/s, peak RSS %.1f MB", seconds, Double(pages) / seconds,
                     Double(total) / seconds, Double(usage.ru_maxrss) / 1024))
    }
}
