import Foundation
import PipelineCore

extension RESTAPISource {
    /// The auth of `settings` with its secrets from `[sources.<pipeline>.credentials]`; a missing secret is
    /// an error naming the secrets.toml key and the environment variable, never a value.
    static func auth(_ settings: Auth, pipeline: String, credentials: Credentials?) throws -> any RESTAuth {
        func secret(_ key: String) throws -> String {
            if case .table(let table)? = credentials, let value = table[key], !value.isEmpty { return value }
            throw SluiceError(.configuration, """
                pipeline \(pipeline): auth type "\(settings.type)" needs \(key) in [sources.\(pipeline).credentials] of secrets.toml \
                (or SOURCES__\(pipeline.uppercased())__CREDENTIALS__\(key.uppercased()))
                """)
        }
        switch settings.type {
        case "bearer": return BearerTokenAuth(token: try secret("token"))
        case "api_key":
            return APIKeyAuth(name: settings.name ?? "Authorization", apiKey: try secret("api_key"), location: settings.location ?? .header)
        case "http_basic": return HTTPBasicAuth(username: try secret("username"), password: try secret("password"))
        case "oauth2_client_credentials":
            guard let text = settings.accessTokenURL, let url = URL(string: text), url.scheme == "http" || url.scheme == "https" else {
                throw SluiceError(.configuration, "[pipelines.\(pipeline).client] auth: oauth2_client_credentials needs access_token_url, an http(s) URL")
            }
            return OAuth2ClientCredentials(tokenURL: url, clientID: try secret("client_id"), clientSecret: try secret("client_secret"),
                                           scopes: settings.scopes ?? [])
        default:
            throw SluiceError(.configuration, "[pipelines.\(pipeline).client] auth: unknown type \"\(settings.type)\" (known: \(authTypes.joined(separator: ", ")))")
        }
    }
}
