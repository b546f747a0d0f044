import DatabaseClients
import Foundation
import PipelineCore
import Pipelines
import SluiceProject
import SluiceTesting
import Sources
import Synchronization
import Testing

/// The declarative `rest_api` source end to end: a sluice.toml describing a two-level API (issues and
/// their comments), loaded into a real SQLite file from a loopback server, with merge and incremental.
@Suite("rest_api source end to end")
struct RESTAPISourceTests {
    /// A GitHub-like API: issues (Link header pages of 2, `since` filter, bearer token required) and
    /// each issue's comments. The test changes the data between runs.
    final class API: Sendable {
        struct Issue: Sendable { var number: Int; var title: String; var updated: String }
        let data = Mutex((issues: [Issue](), comments: [Int: [Int]]()))
        let token: String
        var server: FixtureHTTPServer { _server.withLock { $0! } }
        private let _server = Mutex<FixtureHTTPServer?>(nil)

        init(token: String) throws {
            self.token = token
            let server = try FixtureHTTPServer { [unowned self] request, _ in self.answer(request) }
            _server.withLock { $0 = server }
        }

        func answer(_ request: FixtureHTTPServer.Request) -> FixtureHTTPServer.Reply {
            guard request.headers["authorization"] == "Bearer \(token)" else { return .json(#"{"message": "Bad credentials"}"#, status: 401) }
            let parts = request.path.split(separator: "/").map(String.init)  // repos acme app issues [n comments]
            let (issues, comments) = data.withLock { ($0.issues, $0.comments) }
            if parts.count == 6, parts[5] == "comments", let number = Int(parts[4]) {
                return .json("[" + (comments[number] ?? []).map { #"{"id": \#($0), "body": "comment \#($0)"}"# }.joined(separator: ",") + "]")
            }
            guard parts.count == 4, parts[3] == "issues" else { return .status(404) }
            let iso = ISO8601DateFormatter()
            let since = request.query["since"].flatMap { iso.date(from: $0) }
            let selected = issues.filter { since == nil || iso.date(from: $0.updated)! >= since! }
            let page = Int(request.query["page"] ?? "1") ?? 1
            let slice = selected.dropFirst((page - 1) * 2).prefix(2)
            var headers: [String: String] = [:]
            if selected.count > page * 2 {
                var next = URLComponents(string: request.target)!
                next.queryItems = (next.queryItems ?? []).filter { $0.name != "page" } + [URLQueryItem(name: "page", value: String(page + 1))]
                headers["Link"] = "<\(next.string!)>; rel=\"next\""
            }
            let body = slice.map { #"{"id": \#(1000 + $0.number), "number": \#($0.number), "title": "\#($0.title)", "updated_at": "\#($0.updated)", "user": {"login": "ann"}}"# }
            return .json("[" + body.joined(separator: ",") + "]", headers: headers)
        }
    }

    static func sluiceToml(_ server: FixtureHTTPServer, folder: String) -> String {
        """
        [destination.sqlite]
        path = "\(folder)/{pipeline}.sqlite"

        [pipelines.gh]
        source = "rest_api"

        [pipelines.gh.client]
        base_url = "\(server.baseURL)/repos/acme/app/"
        headers = { Accept = "application/vnd.github+json" }
        auth = { type = "bearer" }
        paginator = { type = "header_link" }
        max_attempts = 2

        [pipelines.gh.resources.issues]
        params = { state = "all", per_page = 2 }
        write_disposition = "merge"
        primary_key = ["id"]
        incremental = { cursor = "updated_at", initial_value = "2024-01-01T00:00:00Z", param = "since" }

        [pipelines.gh.resources.comments]
        path = "issues/{resources.issues.number}/comments"
        include_from_parent = ["number"]
        write_disposition = "merge"
        primary_key = ["id"]

        """
    }

    static func rows(_ file: String, _ sql: String) throws -> [[String?]] {
        try SQLiteConnection(path: file).query(sql)
    }

    @Test func twoLevelAPIMergedAndIncrementalAcrossTwoRuns() async throws {
        let api = try API(token: "ghp-file-token-1")
        defer { api.server.stop() }
        api.data.withLock {
            $0.issues = [.init(number: 1, title: "one", updated: "2024-01-01T00:00:00Z"), .init(number: 2, title: "two", updated: "2024-01-02T00:00:00Z"),
                         .init(number: 3, title: "three", updated: "2024-01-03T00:00:00Z")]
            $0.comments = [1: [11], 2: [21, 22]]
        }
        let folder = try ProjectFolder(sluice: Self.sluiceToml(api.server, folder: ""), secrets: "[sources.gh.credentials]\ntoken = \"ghp-file-token-1\"\n")
        defer { folder.cleanup() }
        try Self.sluiceToml(api.server, folder: folder.path).write(toFile: folder.path + "/sluice.toml", atomically: true, encoding: .utf8)
        let project = try folder.project()
        let database = folder.path + "/gh.sqlite"

        _ = try await project.pipeline("gh").run(try project.source(forPipeline: "gh"))
        #expect(try Self.rows(database, "SELECT number, title, user__login FROM issues ORDER BY number")
            == [["1", "one", "ann"], ["2", "two", "ann"], ["3", "three", "ann"]])
        #expect(try Self.rows(database, "SELECT id, _issues_number FROM comments ORDER BY id") == [["11", "1"], ["21", "2"], ["22", "2"]])
        let first = api.server.requests
        #expect(first.filter { $0.path.hasSuffix("/issues") }.map { $0.query["since"] } == ["2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00"])

        // Issue 2 changes and gets a comment; issue 4 is new.
        api.data.withLock {
            $0.issues[1] = .init(number: 2, title: "two, edited", updated: "2024-02-01T00:00:00Z")
            $0.issues.append(.init(number: 4, title: "four", updated: "2024-02-02T00:00:00Z"))
            $0.comments[2] = [21, 22, 23]
            $0.comments[4] = [41]
        }
        _ = try await project.pipeline("gh").run(try project.source(forPipeline: "gh"))
        let second = Array(api.server.requests.dropFirst(first.count))
        // Only what changed since the stored cursor is fetched, and only those issues' comments: issue 3 comes
        // back (since= is inclusive) but was loaded before, so the run skips it and does not ask for its comments.
        #expect(second.filter { $0.path.hasSuffix("/issues") }.map { $0.query["since"] } == ["2024-01-03T00:00:00+00:00", "2024-01-03T00:00:00+00:00"])
        #expect(second.filter { $0.path.hasSuffix("/comments") }.map(\.path)
            == ["/repos/acme/app/issues/2/comments", "/repos/acme/app/issues/4/comments"])
        #expect(try Self.rows(database, "SELECT number, title FROM issues ORDER BY number")
            == [["1", "one"], ["2", "two, edited"], ["3", "three"], ["4", "four"]])
        #expect(try Self.rows(database, "SELECT id, _issues_number FROM comments ORDER BY id")
            == [["11", "1"], ["21", "2"], ["22", "2"], ["23", "2"], ["41", "4"]])
    }

    @Test func theEnvironmentTokenWinsAndIsMaskedAsASecret() async throws {
        let api = try API(token: "ghp-env-token-2")
        defer { api.server.stop() }
        api.data.withLock { $0.issues = [.init(number: 1, title: "one", updated: "2024-01-01T00:00:00Z")] }
        let folder = try ProjectFolder(sluice: "", secrets: "[sources.gh.credentials]\ntoken = \"ghp-file-token-1\"\n")
        defer { folder.cleanup() }
        try Self.sluiceToml(api.server, folder: folder.path).write(toFile: folder.path + "/sluice.toml", atomically: true, encoding: .utf8)
        let project = try folder.project(environment: ["SOURCES__GH__CREDENTIALS__TOKEN": "ghp-env-token-2"])
        #expect(project.secrets.sourceCredentials("gh") == .table(["token": "ghp-env-token-2"]))
        _ = try await project.pipeline("gh").run(try project.source(forPipeline: "gh"))
        #expect(try Self.rows(folder.path + "/gh.sqlite", "SELECT count(*) FROM issues") == [["1"]])
        let values = project.secrets.allValues()
        #expect(values.contains("ghp-env-token-2") && values.contains("ghp-file-token-1"))
        // With the file's (wrong) token, the error names the URL and the status, never a token.
        let stale = try folder.project()
        let message = await errorMessage { _ = try await stale.pipeline("gh").run(try stale.source(forPipeline: "gh")) }
        #expect(message.contains("GET \(api.server.baseURL)/repos/acme/app/issues?") && message.contains("HTTP 401"))
        #expect(!message.contains("ghp-"))
    }

    @Test func aPageCutShortFailsTheRunAndLoadsNothing() async throws {
        let api = try API(token: "ghp-file-token-1")
        api.data.withLock { $0.issues = (1...5).map { .init(number: $0, title: "t", updated: "2024-01-0\($0)T00:00:00Z") } }
        let cut = try FixtureHTTPServer { request, _ in
            if request.query["page"] == "2" { return .truncated(status: 200, headers: [:], body: Data(repeating: 0x20, count: 100), sent: 10) }
            return api.answer(request)
        }
        defer { api.server.stop(); cut.stop() }
        let folder = try ProjectFolder(sluice: Self.sluiceToml(cut, folder: ""), secrets: "[sources.gh.credentials]\ntoken = \"ghp-file-token-1\"\n")
        defer { folder.cleanup() }
        try Self.sluiceToml(cut, folder: folder.path).write(toFile: folder.path + "/sluice.toml", atomically: true, encoding: .utf8)
        let project = try folder.project()
        let message = await errorMessage { _ = try await project.pipeline("gh").run(try project.source(forPipeline: "gh")) }
        #expect(message.contains("issues?per_page=2&since=2024-01-01T00:00:00+00:00&state=all&page=2: ")
            && message.contains("after 2 attempts; nothing of this page was loaded"))
        let tables = try Self.rows(folder.path + "/gh.sqlite", "SELECT name FROM sqlite_master WHERE name = 'issues'")
        let loaded = try tables.isEmpty ? [["0"]] : Self.rows(folder.path + "/gh.sqlite", "SELECT count(*) FROM issues")
        #expect(loaded == [["0"]])
    }
}

/// A project folder under TMPDIR with these files; `cleanup` removes it.
struct ProjectFolder {
    let path = NSTemporaryDirectory() + "sluice-rest-" + UUID().uuidString

    init(sluice: String, secrets: String? = nil) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try sluice.write(toFile: path + "/sluice.toml", atomically: true, encoding: .utf8)
        if let secrets { try secrets.write(toFile: path + "/secrets.toml", atomically: true, encoding: .utf8) }
    }

    func project(environment: [String: String] = [:]) throws -> Project {
        var configuration = Project.Configuration(folder: path)
        configuration.environment = environment
        return try Project.load(configuration)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}
