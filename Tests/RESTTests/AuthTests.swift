import Foundation
import PipelineCore
import SluiceTesting
import Sources
import Testing

/// Each auth kind reaches the server as the API expects it, and its secret never reaches an error.
@Suite("REST auth")
struct AuthTests {
    static let secret = "s3cr3t-T0KEN-value"

    /// A server that answers 200 when `accept` likes the request, else 403 with a body echoing the credentials sent.
    static func server(_ accept: @escaping @Sendable (FixtureHTTPServer.Request) -> Bool) throws -> FixtureHTTPServer {
        try FixtureHTTPServer { request, _ in
            accept(request) ? .json(items(0..<1))
                : .json(#"{"message": "bad credentials \#(request.headers["authorization"] ?? "")"}"#, status: 403)
        }
    }

    @Test func bearerToken() async throws {
        let server = try Self.server { $0.headers["authorization"] == "Bearer \(Self.secret)" }
        defer { server.stop() }
        let client = makeClient(server) { $0.auth = BearerTokenAuth(token: Self.secret) }
        #expect(ids(try await collect(client.pages("items")).records) == [0])
        let wrong = makeClient(server) { $0.auth = BearerTokenAuth(token: Self.secret + "-old") }
        let message = await errorMessage { _ = try await collect(wrong.pages("items")) }
        #expect(message.contains("HTTP 403") && message.contains("bad credentials Bearer ***"))
        #expect(!message.contains("s3cr3t"))
    }

    /// Found by the break-it trial: a `302` to another host was followed with the token.
    @Test func credentialsNeverLeaveTheAPIsHost() async throws {
        let thief = try FixtureHTTPServer { _, _ in .json("[]") }
        defer { thief.stop() }
        let server = try FixtureHTTPServer { _, _ in .status(302, headers: ["Location": thief.baseURL + "/stolen"]) }
        defer { server.stop() }
        let client = makeClient(server) { $0.auth = BearerTokenAuth(token: Self.secret) }
        let redirected = await errorMessage { _ = try await collect(client.pages("items")) }
        #expect(redirected.contains("302"), "\(redirected)")
        // A resource path that is another host's URL, absolute or scheme-relative, is refused before any request.
        for path in [thief.baseURL + "/stolen", "//" + thief.baseURL.dropFirst("http://".count) + "/stolen"] {
            let message = await errorMessage { _ = try await collect(client.pages(path)) }
            #expect(message.contains("refused"), "\(message)")
        }
        #expect(thief.requests.isEmpty)
        #expect(!redirected.contains("s3cr3t"))
    }

    @Test func apiKeyInAHeader() async throws {
        let server = try Self.server { $0.headers["x-api-key"] == Self.secret }
        defer { server.stop() }
        let client = makeClient(server) { $0.auth = APIKeyAuth(name: "X-API-Key", apiKey: Self.secret) }
        #expect(ids(try await collect(client.pages("items")).records) == [0])
    }

    @Test func apiKeyInTheQueryIsMaskedInErrors() async throws {
        let server = try FixtureHTTPServer { request, _ in
            request.query["k"] == Self.secret ? .json("[{\"id\": 1") : .status(403)  // invalid JSON: an error naming the URL
        }
        defer { server.stop() }
        let client = makeClient(server) { $0.auth = APIKeyAuth(name: "k", apiKey: Self.secret, location: .query) }
        let message = await errorMessage { _ = try await collect(client.pages("items", params: ["q": "swift"])) }
        #expect(message.contains("/api/items?q=swift&k=***") && message.contains("not valid JSON"))
        #expect(!message.contains("s3cr3t"))
    }

    @Test func anHTTPErrorShowsTheURLAsSentWithOnlyItsSecretsMasked() async throws {
        // docs/rest-api.md: errors name the request with the auth's query parameter (and secret-looking ones) as ***.
        let server = try FixtureHTTPServer { _, _ in .status(404) }
        defer { server.stop() }
        let client = makeClient(server) { $0.auth = APIKeyAuth(name: "k", apiKey: Self.secret, location: .query) }
        let message = await errorMessage { _ = try await client.get("users/1/ordrs", params: ["q": "swift", "session_id": "abc-123"]) }
        #expect(message == "GET http://127.0.0.1:\(server.port)/api/users/1/ordrs?q=swift&session_id=***&k=***: HTTP 404")
        #expect(server.requests.first?.query["k"] == Self.secret)  // sent, but never shown
        // A response the paginator cannot read names the same URL as sent.
        let listing = try FixtureHTTPServer { _, _ in .json(items(0..<2)) }
        defer { listing.stop() }
        let paged = makeClient(listing) {
            $0.auth = APIKeyAuth(name: "k", apiKey: Self.secret, location: .query)
            $0.paginator = PageNumberPaginator(totalPagesPath: "meta.pages")
        }
        let noCount = await errorMessage { _ = try await collect(paged.pages("users/1/orders")) }
        #expect(noCount.contains("the response of GET http://127.0.0.1:\(listing.port)/api/users/1/orders?page=1&k=*** has no page count"))
        #expect(!noCount.contains("s3cr3t"))
    }

    @Test func httpBasic() async throws {
        let expected = "Basic " + Data("ann:\(Self.secret)".utf8).base64EncodedString()
        let server = try Self.server { $0.headers["authorization"] == expected }
        defer { server.stop() }
        let client = makeClient(server) { $0.auth = HTTPBasicAuth(username: "ann", password: Self.secret) }
        #expect(ids(try await collect(client.pages("items")).records) == [0])
    }

    /// A token endpoint handing out `token-1`, `token-2`, ... (each valid 600 s) and an API that accepts
    /// any of them but the one named by `revoke`.
    final class TokenServer: Sendable {
        let server: FixtureHTTPServer
        init() throws {
            server = try FixtureHTTPServer { request, seen in
                if request.path == "/oauth/token" {
                    let form = String(decoding: request.body, as: UTF8.self)
                    guard request.method == "POST", form.contains("grant_type=client_credentials"),
                          form.contains("client_id=app"), form.contains("client_secret=\(AuthTests.secret)") else { return .status(400) }
                    return .json(#"{"access_token": "token-\#(seen + 1)", "expires_in": 600, "token_type": "bearer"}"#)
                }
                let header = request.headers["authorization"] ?? ""
                if let revoked = request.query["revoke"], header == "Bearer \(revoked)" { return .status(401) }
                return header.hasPrefix("Bearer token-") ? .json(#"[{"id": 1, "token": "\#(header)"}]"#) : .status(401)
            }
        }
    }

    @Test func oauth2ClientCredentialsFetchesCachesAndRefreshes() async throws {
        let fixture = try TokenServer()
        defer { fixture.server.stop() }
        let clock = FastForwardClock()
        let auth = OAuth2ClientCredentials(tokenURL: URL(string: fixture.server.baseURL + "/oauth/token")!, clientID: "app",
                                           clientSecret: Self.secret)
        let client = makeClient(fixture.server, clock: clock) { $0.auth = auth }
        func token() async throws -> Value? {
            guard case .object(let row)? = try await collect(client.pages("items")).records.first else { return nil }
            return row["token"]
        }
        #expect(try await token() == .text("Bearer token-1"))
        #expect(try await token() == .text("Bearer token-1"))       // cached
        #expect(auth.tokensFetched == 1)
        clock.advance(by: .seconds(560))                           // within a minute of expiry: renewed
        #expect(try await token() == .text("Bearer token-2"))
        #expect(auth.tokensFetched == 2)
        // A 401 drops the token and the request is sent once more with a new one.
        let revoked = makeClient(fixture.server, clock: clock) { $0.auth = auth }
        clock.advance(by: .seconds(560))
        #expect(try await collect(revoked.pages("items", params: ["revoke": "token-3"])).records.count == 1)
        #expect(auth.tokensFetched == 4)
        #expect(fixture.server.requests.filter { $0.query["revoke"] != nil }.map { $0.headers["authorization"] } == ["Bearer token-3", "Bearer token-4"])
    }

    @Test func oauth2ARefusedTokenRequestNamesTheURLNotTheSecret() async throws {
        let server = try FixtureHTTPServer { _, _ in .json(#"{"error": "invalid_client \#(Self.secret)"}"#, status: 401) }
        defer { server.stop() }
        let auth = OAuth2ClientCredentials(tokenURL: URL(string: server.baseURL + "/oauth/token?client_secret=\(Self.secret)")!,
                                           clientID: "app", clientSecret: Self.secret)
        let client = makeClient(server) { $0.auth = auth }
        let message = await errorMessage { _ = try await collect(client.pages("items")) }
        #expect(message.contains("POST http://127.0.0.1:\(server.port)/oauth/token?client_secret=***: HTTP 401"))
        #expect(!message.contains("s3cr3t"))
    }
}
