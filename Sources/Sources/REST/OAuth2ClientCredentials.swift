import Foundation
import PipelineCore
import Synchronization

/// OAuth 2.0 client credentials (RFC 6749 §4.4), as dlt's `OAuth2ClientCredentials`: a token is fetched
/// from `tokenURL` (a form `POST` of `grant_type=client_credentials`, the client id and secret, and the
/// scopes), cached, sent as `Authorization: Bearer <token>`, and fetched again when it expires (its
/// `expires_in`, less a minute) or once after a `401`.
public struct OAuth2ClientCredentials: RESTAuth {
    public var tokenURL: URL
    public var clientID: String
    public var clientSecret: String
    public var scopes: [String]
    /// How long a token lives when the token response has no `expires_in`.
    public var defaultExpiry: Duration
    private let cache = TokenCache()

    public init(tokenURL: URL, clientID: String, clientSecret: String, scopes: [String] = [],
                defaultExpiry: Duration = .seconds(3600))
    {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.defaultExpiry = defaultExpiry
    }

    /// How many tokens were fetched so far (the cache at work).
    public var tokensFetched: Int { cache.state.withLock { $0.fetched } }

    public func authorize(_ request: inout RESTRequest, client: RESTClient) async throws {
        var token = cache.state.withLock { s in s.token.flatMap { $0.expired() ? nil : $0.value } }
        if token == nil {
            let (value, lifetime) = try await fetch(client)
            // Renew a minute early (or at half-life for short tokens), so a request never carries a token that expires in flight.
            let margin = min(.seconds(60), lifetime / 2)
            cache.state.withLock { s in
                s.token = (value, client.deadline(lifetime - margin))
                s.fetched += 1
            }
            token = value
        }
        request.headers["Authorization"] = "Bearer \(token ?? "")"
    }

    public func unauthorized() -> Bool {
        cache.state.withLock { $0.token = nil }
        return true
    }

    public var secrets: [String] {
        [clientSecret] + (cache.state.withLock { $0.token?.value }.map { [$0] } ?? [])
    }

    private func fetch(_ client: RESTClient) async throws -> (String, Duration) {
        var form = URLComponents()
        form.queryItems = [URLQueryItem(name: "grant_type", value: "client_credentials"),
                           URLQueryItem(name: "client_id", value: clientID),
                           URLQueryItem(name: "client_secret", value: clientSecret)]
            + (scopes.isEmpty ? [] : [URLQueryItem(name: "scope", value: scopes.joined(separator: " "))])
        let body = Data((form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B").utf8)
        let request = RESTRequest(method: "POST", url: tokenURL,
                                  headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"], body: body)
        let response = try await client.send(request, authorize: false)
        let json = try response.json()
        guard case .text(let token)? = JSONPath("access_token").value(in: json), !token.isEmpty else {
            throw SluiceError(.badInput, "the token response of POST \(RESTRedaction.redact(tokenURL)) has no access_token")
        }
        let seconds = JSONPath("expires_in").integer(in: json)
        return (token, seconds.map { .seconds(max(1, $0)) } ?? defaultExpiry)
    }
}

/// The cached token of one ``OAuth2ClientCredentials``, shared by its copies.
/// Invariant for `Sendable`: all state is behind the mutex.
final class TokenCache: Sendable {
    let state = Mutex<(token: (value: String, expired: @Sendable () -> Bool)?, fetched: Int)>((nil, 0))
}
