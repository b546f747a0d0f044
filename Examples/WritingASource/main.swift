// docs/writing-a-source.md, step 2: the source package `sluice new source weather --kind rest` writes to
// Sources/Sources/Weather/WeatherSource.swift (there, inside the Sources module, it needs no `import Sources`),
// and the incremental variant of its resource the guide shows next.
//
//   swift build --product WritingASource && .build/debug/WritingASource
import Foundation
import PipelineCore
import Sources

/// The `weather` source package: one resource, `items`, read from `GET <base_url>items` page by page
/// (the `Link` header), merged on `id`. Keys of `[pipelines.<p>]`: `base_url`. Secrets of
/// `[sources.<p>.credentials]`: `token` (optional), sent as `Authorization: Bearer`.
public enum WeatherSource: SourcePackage {
    public static let name = "weather"
    public static let defaultBaseURL = "https://api.example.com/v1/"

    public struct Settings: SourceSettings {
        public var baseURL: String?
        public var credentials: PackageCredentials?

        public static let keys: Set<String> = ["base_url"]
        enum CodingKeys: String, CodingKey {
            case credentials
            case baseURL = "base_url"
        }
    }

    public static func build(pipeline: String, settings: Data) throws -> Source {
        let s = try Settings.decode(settings, source: name, pipeline: pipeline)
        var configuration = try PackageClient.configuration(s.baseURL ?? defaultBaseURL, pipeline: pipeline)
        configuration.paginator = HeaderLinkPaginator()
        if let token = s.credentials?.value("token") { configuration.auth = BearerTokenAuth(token: token) }
        let client = RESTClient(configuration)
        let items = Resource(name: "items", hints: ResourceHints(writeDisposition: .merge, primaryKey: ["id"])) { out in
            for try await page in client.pages("items") {
                for row in page.rows { try await out.write(row) }
            }
        }
        return Source(name: name, resources: [items])
    }
}

extension WeatherSource {
    /// Only what changed since the last run: the stored cursor goes into `since=`, rows merge by `id`.
    static func changedItems(_ client: RESTClient) -> Resource {
        var hints = ResourceHints(writeDisposition: .merge, primaryKey: ["id"])
        hints.incremental = Incremental(cursor: "updated_at", initialValue: "2024-01-01T00:00:00Z")
        return client.resource("items", endpoint: RESTEndpoint(path: "items", startParam: "since"), hints: hints)
    }
}

let source = try WeatherSource.build(pipeline: "weather", settings: Data(#"{"base_url": "http://127.0.0.1:8080/v1/"}"#.utf8))
print(source.resources.map(\.name))
