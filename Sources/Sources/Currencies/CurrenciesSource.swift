import Foundation
import PipelineCore

/// The `currencies` source package: the currencies the ECB publishes reference rates for, from the
/// Frankfurter API's `GET /v1/currencies` (`{"AUD": "Australian Dollar", "BGN": "Bulgarian Lev", ...}`),
/// one row per currency (`code`, `name`) in the table `currencies`, replaced on every run: reference
/// data, small, best reloaded whole (weekly is plenty).
///
/// ```toml
/// [pipelines.currencies]
/// source = "currencies"
/// base_url = "https://api.frankfurter.dev/v1/"   # the default
/// ```
public enum CurrenciesSource: SourcePackage {
    public static let name = "currencies"
    /// Frankfurter's v1 API (<https://frankfurter.dev/v1>), no key needed.
    public static let defaultBaseURL = "https://api.frankfurter.dev/v1/"

    /// `[pipelines.<p>]` keys of the `currencies` source.
    public struct Settings: SourceSettings {
        /// Where the API is (default ``CurrenciesSource/defaultBaseURL``); tests point it at a loopback server.
        public var baseURL: String?
        public static let keys: Set<String> = ["base_url"]
        enum CodingKeys: String, CodingKey { case baseURL = "base_url" }
    }

    public static func build(pipeline: String, settings: Data) throws -> Source {
        let s = try Settings.decode(settings, source: name, pipeline: pipeline)
        let client = RESTClient(try PackageClient.configuration(s.baseURL ?? defaultBaseURL, pipeline: pipeline))
        let currencies = Resource(name: "currencies", hints: ResourceHints(writeDisposition: .replace, primaryKey: ["code"])) { out in
            let body = try await client.get("currencies")
            guard case .object(let map) = body else {
                throw SluiceError(.badInput, "GET \(client.configuration.baseURL)currencies: expected an object of code: name, got \(JSONText.encode(body).prefix(60))")
            }
            for field in map.fields {
                guard case .text(let title) = field.value else { continue }
                try await out.write(Row([Row.Field("code", .text(field.name)), Row.Field("name", .text(title))]))
            }
        }
        return Source(name: name, resources: [currencies])
    }
}
