import Foundation
import PipelineCore

/// What the REST-based source packages share: their client's configuration from a `base_url` setting.
public enum PackageClient {
    /// A client configuration for `baseURL` (an http(s) URL, no credentials or query in it: those go in
    /// secrets.toml), with a trailing slash added so paths resolve below it, and `User-Agent: sluice`
    /// (GitHub refuses requests without one).
    public static func configuration(_ baseURL: String, pipeline: String, headers: [String: String] = [:]) throws -> RESTClient.Configuration {
        let text = baseURL.hasSuffix("/") ? baseURL : baseURL + "/"
        guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw SluiceError(.configuration, "[pipelines.\(pipeline)] base_url: not an http(s) URL")
        }
        guard url.user == nil, url.password == nil, url.query == nil else {
            throw SluiceError(.configuration, "[pipelines.\(pipeline)] base_url: no credentials or query in the URL; "
                + "credentials go in secrets.toml ([sources.\(pipeline).credentials])")
        }
        return RESTClient.Configuration(baseURL: url, headers: ["User-Agent": "sluice"].merging(headers) { _, given in given })
    }
}
