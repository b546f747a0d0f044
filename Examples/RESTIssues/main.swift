import Destinations
import Foundation
import PipelineCore
import Pipelines
import Sources

// The client: base URL, default headers, auth and paginator, retries and a rate limit.
var configuration = RESTClient.Configuration(baseURL: URL(string: "https://api.github.com/repos/apple/swift-log/")!)
configuration.headers = ["Accept": "application/vnd.github+json"]
if let token = ProcessInfo.processInfo.environment["GITHUB_TOKEN"] {
    configuration.auth = BearerTokenAuth(token: token)
}
configuration.paginator = HeaderLinkPaginator()
configuration.retry = RetryPolicy(maximumAttempts: 5, initialDelay: .seconds(1))
configuration.requestsPerSecond = 5
let client = RESTClient(configuration)

// A resource in one call: every page of the endpoint, the window's start in `since=`.
var hints = ResourceHints(writeDisposition: .merge, primaryKey: ["id"])
hints.incremental = Incremental(cursor: "updated_at", initialValue: "2024-01-01T00:00:00Z")
let issues = client.resource("issues", endpoint: RESTEndpoint(path: "issues", params: ["state": "all", "per_page": "100"],
                                                              startParam: "since"), hints: hints)

// Or page by page, when the records need work before they are written.
let releases = Resource(name: "releases", hints: ResourceHints(writeDisposition: .merge, primaryKey: ["id"])) { out in
    for try await page in client.pages("releases", params: ["per_page": "100"]) {
        for var row in page.rows where row["draft"] != .bool(true) {
            row.append("page_url", .text(page.request.redactedURL))
            try await out.write(row)
        }
    }
}

let pipeline = Pipeline(name: "swift_log", destination: SQLiteDestination(path: "swift_log.sqlite"))
print(try await pipeline.run(Source(name: "github", resources: [issues, releases])))
