import Foundation
import PipelineCore
import SluiceTesting
import Sources
import Synchronization
import Testing

/// `github` against a loopback server answering as GitHub's REST API does: `/repos/{o}/{r}/issues` with
/// issues and pull requests (`pull_request` on those), `since`, Link-header pages, and each issue's comments.
@Suite("github end to end")
struct GitHubSourceTests {
    final class API: Sendable {
        struct Issue: Sendable { var number: Int; var title: String; var updated: String; var pull: Bool = false }
        let data = Shared((issues: [Issue](), comments: [Int: [Int]]()))
        let server: FixtureHTTPServer

        init(token: String?) throws {
            let data = self.data
            server = try FixtureHTTPServer { request, _ in
                if let token, request.headers["authorization"] != "Bearer \(token)" {
                    return .json(#"{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}"#, status: 401)
                }
                let parts = request.path.split(separator: "/").map(String.init)  // repos acme app issues [n comments]
                let (issues, comments) = data.withLock { ($0.issues, $0.comments) }
                guard parts.count >= 4, parts[0] == "repos", parts[1] == "acme", parts[2] == "app", parts[3] == "issues" else {
                    return .json(#"{"message": "Not Found"}"#, status: 404)
                }
                let perPage = Int(request.query["per_page"] ?? "30") ?? 30
                let page = Int(request.query["page"] ?? "1") ?? 1
                let records: [String]
                if parts.count == 6, parts[5] == "comments", let number = Int(parts[4]) {
                    records = (comments[number] ?? []).map { #"{"id": \#($0), "body": "comment \#($0)", "user": {"login": "bob"}}"# }
                } else {
                    let iso = ISO8601DateFormatter()
                    let since = request.query["since"].flatMap { iso.date(from: $0) }
                    records = issues.filter { since == nil || iso.date(from: $0.updated)! >= since! }.sorted { $0.updated < $1.updated }.map { i in
                        let pull = i.pull ? #", "pull_request": {"url": "https://api.github.com/repos/acme/app/pulls/\#(i.number)", "merged_at": null}"# : ""
                        return #"{"id": \#(9000 + i.number), "number": \#(i.number), "title": "\#(i.title)", "state": "open", "updated_at": "\#(i.updated)", "user": {"login": "ann"}, "labels": [{"name": "bug"}]\#(pull)}"#
                    }
                }
                var headers: [String: String] = [:]
                if records.count > page * perPage {
                    var next = URLComponents(string: request.target)!
                    next.queryItems = (next.queryItems ?? []).filter { $0.name != "page" } + [URLQueryItem(name: "page", value: String(page + 1))]
                    headers["Link"] = "<http://\(request.headers["host"] ?? "")\(next.string!)>; rel=\"next\", <http://example.invalid/last>; rel=\"last\""
                }
                return .json("[" + records.dropFirst((page - 1) * perPage).prefix(perPage).joined(separator: ",") + "]", headers: headers)
            }
        }
    }

    static func toml(_ server: FixtureHTTPServer, extra: String = "") -> String {
        """
        [pipelines.gh]
        source = "github"
        base_url = "\(server.baseURL)"
        owner = "acme"
        repo = "app"
        per_page = 2
        start_date = "2024-01-01T00:00:00Z"
        \(extra)
        """
    }

    @Test func issuesAndPullRequestsMergedIncrementallyWithTheirComments() async throws {
        let api = try API(token: "ghp-secret-token-1")
        defer { api.server.stop() }
        api.data.withLock {
            $0.issues = [.init(number: 1, title: "one", updated: "2024-01-01T00:00:00Z"), .init(number: 2, title: "two", updated: "2024-01-02T00:00:00Z", pull: true),
                         .init(number: 3, title: "three", updated: "2024-01-03T00:00:00Z")]
            $0.comments = [1: [11], 2: [21, 22, 23]]
        }
        let project = try PackageProject(Self.toml(api.server), secrets: "[sources.gh.credentials]\ntoken = \"ghp-secret-token-1\"\n")
        defer { project.cleanup() }
        try await project.run("gh")
        #expect(try project.rows("gh", "SELECT number, title, user__login, pull_request__url IS NOT NULL FROM issues ORDER BY number")
            == [["1", "one", "ann", "0"], ["2", "two", "ann", "1"], ["3", "three", "ann", "0"]])
        #expect(try project.rows("gh", "SELECT count(*) FROM issues__labels") == [["3"]])
        #expect(try project.rows("gh", "SELECT id, issue_number FROM comments ORDER BY id") == [["11", "1"], ["21", "2"], ["22", "2"], ["23", "2"]])
        let first = api.server.requests
        // Two pages of issues (Link header), the initial value in since=, the token as a bearer header.
        #expect(first.filter { $0.path == "/repos/acme/app/issues" }.map { $0.query["page"] ?? "1" } == ["1", "2"])
        #expect(first.filter { $0.path == "/repos/acme/app/issues" }.allSatisfy {
            $0.query["since"] == "2024-01-01T00:00:00+00:00" && $0.query["state"] == "all" && $0.query["sort"] == "updated"
        })
        #expect(first.allSatisfy { $0.headers["authorization"] == "Bearer ghp-secret-token-1" && $0.headers["user-agent"] == "sluice" })
        #expect(first.filter { $0.path == "/repos/acme/app/issues/2/comments" }.count == 2)

        // Issue 2 is edited and commented on, issue 4 is new: the second run sends since= the stored cursor.
        api.data.withLock {
            $0.issues[1] = .init(number: 2, title: "two, edited", updated: "2024-02-01T00:00:00Z", pull: true)
            $0.issues.append(.init(number: 4, title: "four", updated: "2024-02-02T00:00:00Z"))
            $0.comments[2] = [21, 22, 23, 24]
            $0.comments[4] = [41]
        }
        try await project.run("gh")
        let second = Array(api.server.requests.dropFirst(first.count))
        #expect(second.filter { $0.path == "/repos/acme/app/issues" }.map { $0.query["since"] } == ["2024-01-03T00:00:00+00:00", "2024-01-03T00:00:00+00:00"])
        #expect(Set(second.filter { $0.path.hasSuffix("/comments") }.map(\.path))
            == ["/repos/acme/app/issues/2/comments", "/repos/acme/app/issues/3/comments", "/repos/acme/app/issues/4/comments"])
        #expect(try project.rows("gh", "SELECT number, title FROM issues ORDER BY number")
            == [["1", "one"], ["2", "two, edited"], ["3", "three"], ["4", "four"]])
        #expect(try project.rows("gh", "SELECT count(*), count(DISTINCT id) FROM comments") == [["6", "6"]])
    }

    @Test func aWrongTokenFailsNamingTheURLNeverTheToken() async throws {
        let api = try API(token: "ghp-right-token")
        defer { api.server.stop() }
        api.data.withLock { $0.issues = [.init(number: 1, title: "one", updated: "2024-01-01T00:00:00Z")] }
        let project = try PackageProject(Self.toml(api.server, extra: "pull_requests = false\n"),
                                         secrets: "[sources.gh.credentials]\ntoken = \"ghp-wrong-token\"\n")
        defer { project.cleanup() }
        let message = await errorMessage { try await project.run("gh") }
        #expect(message.contains("GET \(api.server.baseURL)/repos/acme/app/issues?") && message.contains("HTTP 401"), "\(message)")
        #expect(!message.contains("ghp-"))
        // The environment's token wins over the file's.
        try await project.run("gh", environment: ["SOURCES__GH__CREDENTIALS__TOKEN": "ghp-right-token"])
        #expect(try project.rows("gh", "SELECT count(*) FROM issues") == [["1"]])
    }

    @Test func pullRequestsCanBeLeftOutAndAPublicRepositoryNeedsNoToken() async throws {
        let api = try API(token: nil)
        defer { api.server.stop() }
        api.data.withLock {
            $0.issues = [.init(number: 1, title: "one", updated: "2024-01-01T00:00:00Z"), .init(number: 2, title: "pr", updated: "2024-01-02T00:00:00Z", pull: true)]
        }
        let project = try PackageProject(Self.toml(api.server, extra: "pull_requests = false\ncomments = false\n"))
        defer { project.cleanup() }
        try await project.run("gh")
        #expect(try project.rows("gh", "SELECT number FROM issues") == [["1"]])
        #expect(api.server.requests.allSatisfy { $0.headers["authorization"] == nil && !$0.path.hasSuffix("/comments") })
        let typo = await errorMessage { _ = try PackageProject(Self.toml(api.server, extra: "pull_request = false\n")).project() }
        #expect(typo.contains("pull_request") && typo.contains("pull_requests"), "\(typo)")
    }
}
