import Foundation
import PipelineCore

/// The `github` source package: the issues and pull requests of one repository, and their comments.
///
/// - `issues`: GitHub's `GET /repos/{owner}/{repo}/issues?state=all&sort=updated&direction=asc`, which
///   returns pull requests too (a pull request is a row with `pull_request__url` set); merged on `id`,
///   incremental on `updated_at`: the stored cursor goes into `since=`, so a run reads only what changed.
/// - `comments`: `GET /repos/{owner}/{repo}/issues/{number}/comments` for each issue this run read (a
///   dependent resource, as dlt's `rest_api` resolves one), merged on `id`, with `issue_number` added.
///
/// Pages follow the `Link` header (`rel="next"`). The token, when given, comes from secrets.toml
/// (`[sources.<p>.credentials] token`, or `SOURCES__<P>__CREDENTIALS__TOKEN`) and goes out as
/// `Authorization: Bearer`; without one, public repositories can be read at GitHub's lower rate limit.
///
/// ```toml
/// [pipelines.github]
/// source = "github"
/// owner = "apple"
/// repo = "swift-argument-parser"
/// start_date = "2024-01-01T00:00:00Z"   # issues updated since then, on the first run
/// ```
public enum GitHubSource: SourcePackage {
    public static let name = "github"
    public static let defaultBaseURL = "https://api.github.com/"

    /// `[pipelines.<p>]` keys of the `github` source.
    public struct Settings: SourceSettings {
        public var baseURL: String?
        public var owner: String
        public var repo: String
        /// The incremental cursor's initial value (`updated_at` of the first run), ISO 8601.
        public var startDate: String?
        /// `open`, `closed` or `all` (default).
        public var state: String?
        /// Records per page (default 100, GitHub's maximum).
        public var perPage: Int?
        /// Whether pull requests are kept in `issues` (default true).
        public var pullRequests: Bool?
        /// Whether the `comments` resource runs (default true).
        public var comments: Bool?
        /// `[sources.<p>.credentials]`, from secrets.toml.
        public var credentials: PackageCredentials?

        public static let keys: Set<String> = ["base_url", "owner", "repo", "start_date", "state", "per_page", "pull_requests", "comments"]
        enum CodingKeys: String, CodingKey {
            case owner, repo, state, comments, credentials
            case baseURL = "base_url"
            case startDate = "start_date"
            case perPage = "per_page"
            case pullRequests = "pull_requests"
        }
    }

    public static func build(pipeline: String, settings: Data) throws -> Source {
        try source(pipeline: pipeline, try Settings.decode(settings, source: name, pipeline: pipeline))
    }

    public static func source(pipeline: String, _ s: Settings) throws -> Source {
        let section = "[pipelines.\(pipeline)]"
        for (key, value) in [("owner", s.owner), ("repo", s.repo)] where value.isEmpty || value.contains("/") || value == ".." || !SafeName.isSafe(value.replacingOccurrences(of: ".", with: "_")) {
            throw SluiceError(.configuration, "\(section) \(key): expected a GitHub \(key) name (letters, digits, '-', '_', '.')")
        }
        if let state = s.state, !["open", "closed", "all"].contains(state) {
            throw SluiceError(.configuration, "\(section) state: expected \"open\", \"closed\" or \"all\"")
        }
        let perPage = s.perPage ?? 100
        guard (1...100).contains(perPage) else { throw SluiceError(.configuration, "\(section) per_page: expected 1 to 100") }
        var configuration = try PackageClient.configuration(s.baseURL ?? defaultBaseURL, pipeline: pipeline,
                                                            headers: ["Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"])
        configuration.paginator = HeaderLinkPaginator()
        if let token = s.credentials?.value("token") { configuration.auth = BearerTokenAuth(token: token) }
        let client = RESTClient(configuration)
        let repository = "repos/\(s.owner)/\(s.repo)/"
        let keepPullRequests = s.pullRequests ?? true
        let read = ParentRecords()

        var issueHints = ResourceHints(writeDisposition: .merge, primaryKey: ["id"])
        issueHints.incremental = Incremental(cursor: "updated_at", initialValue: s.startDate.map(CursorValue.init(parsing:)))
        let endpoint = RESTEndpoint(path: repository + "issues",
                                    params: ["state": s.state ?? "all", "per_page": String(perPage), "sort": "updated", "direction": "asc"],
                                    startParam: "since")
        let issues = Resource(name: "issues", hints: issueHints) { out in
            var numbers: [Row] = []
            for try await page in client.pages(endpoint.path, params: endpoint.params(window: out.window)) {
                for record in page.records {
                    if !keepPullRequests, JSONPath("pull_request").value(in: record) != nil { continue }
                    if let number = JSONPath("number").value(in: record) { numbers.append(Row([Row.Field("number", number)])) }
                    try await out.write(JSONLinesReader.row(from: record))
                }
            }
            read.set("issues", numbers)
        }
        let comments = Resource(name: "comments", hints: ResourceHints(writeDisposition: .merge, primaryKey: ["id"])) { out in
            guard let numbers = read.get("issues") else {
                throw SluiceError(.configuration, "pipeline \(pipeline): comments are read for the issues of the same run; run issues first")
            }
            for parent in numbers {
                guard let number = JSONPath("number").text(in: .object(parent)) else { continue }
                for try await page in client.pages(repository + "issues/\(number)/comments", params: ["per_page": String(perPage)]) {
                    for record in page.records {
                        var row = JSONLinesReader.row(from: record)
                        row.fields.append(Row.Field("issue_number", parent["number"] ?? .null))
                        try await out.write(row)
                    }
                }
            }
        }
        return Source(name: name, resources: (s.comments ?? true) ? [issues, comments] : [issues])
    }
}
