import DatabaseClients
import Foundation
import PipelineCore
import Pipelines
import SluiceProject
import SluiceTesting
import Sources
import Synchronization
import Testing

/// Dependent resources: which paginator they use (the client's unless their own, as dlt's rest_api), and
/// which parent records they follow (only those the run keeps).
@Suite("rest_api dependent resources")
struct RESTAPIDependentResourceTests {
    /// The `[pipelines.shop]` block of docs/rest-api.md, as written, its base URL pointed at `server`.
    static func docsShopExample(_ server: FixtureHTTPServer) throws -> String {
        let doc = try String(contentsOfFile: SharedMaterial.repository.path + "/docs/rest-api.md", encoding: .utf8)
        let blocks = doc.components(separatedBy: "```toml\n").dropFirst().map { $0.components(separatedBy: "\n```")[0] }
        let shop = try #require(blocks.first { $0.hasPrefix("[pipelines.shop]") })
        #expect(shop.contains("base_url = \"https://api.example.com/v2/\""))
        return shop.replacingOccurrences(of: "https://api.example.com/v2/", with: server.baseURL + "/v2/")
    }

    /// An API of the shape the doc describes: `customers` paged by offset with `meta.total` (3 customers,
    /// `limit` of them an answer), each customer's `orders` in one answer `{"data": [...]}` with no `meta`.
    static func shopAPI(key: String) throws -> FixtureHTTPServer {
        try FixtureHTTPServer { request, _ in
            guard request.headers["x-api-key"] == key else { return .json(#"{"error": "no key"}"#, status: 401) }
            let parts = request.path.split(separator: "/").map(String.init)  // v2 customers [id orders]
            if parts.count == 4, parts[3] == "orders", let id = Int(parts[2]) {
                return .json(#"{"data": [{"order": \#(id * 10)}, {"order": \#(id * 10 + 1)}]}"#)
            }
            guard parts == ["v2", "customers"], request.query["modified_since"] == "2024-01-01",
                  let offset = Int(request.query["offset"] ?? ""), let limit = Int(request.query["limit"] ?? "")
            else { return .status(404) }
            let page = (1...3).dropFirst(offset).prefix(limit).map { #"{"id": \#($0), "modified": "2024-02-0\#($0)"}"# }
            return .json(#"{"data": [\#(page.joined(separator: ","))], "meta": {"total": 3}}"#)
        }
    }

    @Test func theDocsShopExampleRunsAgainstAnAPIOfItsShape() async throws {
        let server = try Self.shopAPI(key: "shop-key-5678")
        defer { server.stop() }
        let folder = try ProjectFolder(sluice: "", secrets: "[sources.shop.credentials]\napi_key = \"shop-key-5678\"\n")
        defer { folder.cleanup() }
        let example = try Self.docsShopExample(server)
        try (example + "\n\n[destination.sqlite]\npath = \"\(folder.path)/{pipeline}.sqlite\"\n")
            .write(toFile: folder.path + "/sluice.toml", atomically: true, encoding: .utf8)
        let project = try folder.project()
        _ = try await project.pipeline("shop").run(try project.source(forPipeline: "shop"))
        let database = folder.path + "/shop.sqlite"
        #expect(try RESTAPISourceTests.rows(database, "SELECT id FROM customers ORDER BY id") == [["1"], ["2"], ["3"]])
        #expect(try RESTAPISourceTests.rows(database, "SELECT _customers_id, \"order\" FROM orders ORDER BY \"order\"")
            == [["1", "10"], ["1", "11"], ["2", "20"], ["2", "21"], ["3", "30"], ["3", "31"]])
        // Orders are asked for once per customer, with no paging parameters: their own single_page paginator.
        let orders = server.requests.filter { $0.path.hasSuffix("/orders") }
        #expect(orders.map(\.target) == ["/v2/customers/1/orders", "/v2/customers/2/orders", "/v2/customers/3/orders"])

        // Without its paginator line the child inherits the client's offset paginator (dlt's rule), and the
        // error says so and names the fix.
        let inherited = example.replacingOccurrences(of: "paginator = { type = \"single_page\" }", with: "")
        #expect(inherited != example)
        let other = try ProjectFolder(sluice: "", secrets: "[sources.shop.credentials]\napi_key = \"shop-key-5678\"\n")
        defer { other.cleanup() }
        try (inherited + "\n\n[destination.sqlite]\npath = \"\(other.path)/{pipeline}.sqlite\"\n")
            .write(toFile: other.path + "/sluice.toml", atomically: true, encoding: .utf8)
        let second = try other.project()
        let message = await errorMessage { _ = try await second.pipeline("shop").run(try second.source(forPipeline: "shop")) }
        #expect(message.contains("/v2/customers/1/orders?offset=0&limit=200 has no total at \"meta.total\""))
        #expect(message.contains("resource orders has no paginator of its own, so it uses the client's")
            && message.contains("paginator = { type = \"single_page\" }"))
    }

    @Test func anUnchangedSecondRunAsksForNoChildren() async throws {
        let api = try RESTAPISourceTests.API(token: "ghp-file-token-1")
        defer { api.server.stop() }
        api.data.withLock {
            $0.issues = [.init(number: 1, title: "one", updated: "2024-01-01T00:00:00Z"), .init(number: 2, title: "two", updated: "2024-01-02T00:00:00Z"),
                         .init(number: 3, title: "three", updated: "2024-01-03T00:00:00Z")]
            $0.comments = [1: [11], 2: [21], 3: [31]]
        }
        let folder = try ProjectFolder(sluice: "", secrets: "[sources.gh.credentials]\ntoken = \"ghp-file-token-1\"\n")
        defer { folder.cleanup() }
        try RESTAPISourceTests.sluiceToml(api.server, folder: folder.path).write(toFile: folder.path + "/sluice.toml", atomically: true, encoding: .utf8)
        let project = try folder.project()
        _ = try await project.pipeline("gh").run(try project.source(forPipeline: "gh"))
        let first = api.server.requests.count
        #expect(api.server.requests.filter { $0.path.hasSuffix("/comments") }.count == 3)

        // Nothing changed: issue 3 comes back (since= is inclusive) but was loaded before, so no comments are asked for.
        _ = try await project.pipeline("gh").run(try project.source(forPipeline: "gh"))
        let second = api.server.requests.dropFirst(first)
        #expect(second.map(\.path) == ["/repos/acme/app/issues"])
        #expect(second.first?.query["since"] == "2024-01-03T00:00:00+00:00")
        #expect(try RESTAPISourceTests.rows(folder.path + "/gh.sqlite", "SELECT count(*) FROM comments") == [["3"]])
    }
}
