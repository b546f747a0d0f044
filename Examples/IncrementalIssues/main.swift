import Destinations
import Foundation
import PipelineCore
import Pipelines

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct Issue: Codable { var id: Int; var title: String; var updatedAt: Date }

/// The issues updated since `since` (all of them without it), page by page.
func issuePages(since: String?) -> AsyncThrowingStream<[Issue], any Error> {
    AsyncThrowingStream { continuation in
        let task = Task {
            var page = 1
            while true {
                var query = "https://api.github.com/repos/apple/swift-log/issues?state=all&per_page=100&page=\(page)"
                if let since { query += "&since=\(since)" }
                let (data, _) = try await URLSession.shared.data(from: URL(string: query)!)
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                decoder.dateDecodingStrategy = .iso8601
                let issues = try decoder.decode([Issue].self, from: data)
                if issues.isEmpty { break }
                continuation.yield(issues)
                page += 1
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
    }
}

var hints = ResourceHints(writeDisposition: .merge, primaryKey: ["id"])
hints.incremental = Incremental(cursor: "updated_at", initialValue: "2024-01-01T00:00:00Z")
let issues = Resource(name: "issues", hints: hints) { out in
    let since = out.window?.start            // push the bound into the request: ?since=...
    for try await page in issuePages(since: since?.description) {
        for issue in page { try await out.write(issue) }
    }
}
let pipeline = Pipeline(name: "github", destination: SQLiteDestination(path: "github.sqlite"))
print(try await pipeline.run(Source(name: "github", resources: [issues])))
