import Foundation
import PipelineCore

/// How a ``RESTClient`` proves who it is; each kind is a small value type (dlt's auth classes).
///
/// Credentials never appear in errors or logs: the client masks ``secrets`` in any message that quotes a
/// response, and the query parameters named by ``queryParameters`` in every URL it shows.
public protocol RESTAuth: Sendable {
    /// Adds the credentials to `request`; `client` sends what the auth itself needs (a token request).
    func authorize(_ request: inout RESTRequest, client: RESTClient) async throws
    /// Called after a `401`: drops any cached credential and says whether one retry may succeed.
    func unauthorized() -> Bool
    /// The secret values, masked wherever a message could quote them.
    var secrets: [String] { get }
    /// Query parameters the auth adds, masked in every URL shown.
    var queryParameters: Set<String> { get }
}

extension RESTAuth {
    public func unauthorized() -> Bool { false }
    public var queryParameters: Set<String> { [] }
}

/// `Authorization: Bearer <token>`.
public struct BearerTokenAuth: RESTAuth {
    public var token: String
    public init(token: String) { self.token = token }
    public func authorize(_ request: inout RESTRequest, client: RESTClient) async throws {
        request.headers["Authorization"] = "Bearer \(token)"
    }
    public var secrets: [String] { [token] }
}

/// An API key in a header (`X-API-Key: <key>`) or a query parameter (`?api_key=<key>`).
public struct APIKeyAuth: RESTAuth {
    public enum Location: String, Sendable, Codable { case header, query }
    /// The header or query parameter name.
    public var name: String
    public var apiKey: String
    public var location: Location

    public init(name: String = "Authorization", apiKey: String, location: Location = .header) {
        self.name = name
        self.apiKey = apiKey
        self.location = location
    }

    public func authorize(_ request: inout RESTRequest, client: RESTClient) async throws {
        switch location {
        case .header: request.headers[name] = apiKey
        case .query: request.setQuery(name, apiKey)
        }
    }
    public var secrets: [String] { [apiKey] }
    public var queryParameters: Set<String> { location == .query ? [name] : [] }
}

/// HTTP basic authentication (RFC 7617): `Authorization: Basic base64(username:password)`.
public struct HTTPBasicAuth: RESTAuth {
    public var username: String
    public var password: String
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
    var header: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }
    public func authorize(_ request: inout RESTRequest, client: RESTClient) async throws {
        request.headers["Authorization"] = header
    }
    public var secrets: [String] { [password, header] }
}
