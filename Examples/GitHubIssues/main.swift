import Destinations
import Foundation
import PipelineCore
import Pipelines

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct Issue: Codable { var id: Int; var title: String; var updatedAt: Date; var labels: [Label] }
struct Label: Codable { var name: String }

/// One page of a repository's issues from GitHub's REST API.
func fetchIssues(repository: String = "apple/swift-argument-parser") async throws -> [Issue] {
    let url = URL(string: "https://api.github.com/repos/\(repository)/issues?state=all&per_page=100")!
    let (data, _) = try await URLSession.shared.data(from: url)
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    decoder.dateDecodingStrategy = .iso8601
    return try decoder.decode([Issue].self, from: data)
}

let issues = Resource(name: "issues", hints: ResourceHints(writeDisposition: .merge, primaryKey: ["id"])) { out in
    for issue in try await fetchIssues() { try await out.write(issue) }   // Codable rows, no dictionaries
}
let pipeline = Pipeline(name: "github", destination: SQLiteDestination(path: "github.sqlite"))
print(try await pipeline.run(Source(name: "github", resources: [issues])))
