import Foundation
import PipelineCore

/// One endpoint read as a resource: its path, query parameters, paginator and record selector, and the
/// query parameters the incremental window goes into (dlt's `start_param` / `end_param`).
public struct RESTEndpoint: Sendable {
    public var path: String
    public var params: [String: String]
    /// `nil`: the client's paginator.
    public var paginator: (any Paginator)?
    public var selector: RecordSelector
    /// The query parameter that gets the window's start: the stored cursor, else the initial value
    /// (`since=2024-05-01T10:00:00+00:00`). Not set on a first run with neither.
    public var startParam: String?
    /// The query parameter that gets the window's end, on a backfill with an end value.
    public var endParam: String?

    public init(path: String, params: [String: String] = [:], paginator: (any Paginator)? = nil,
                selector: RecordSelector = .body, startParam: String? = nil, endParam: String? = nil)
    {
        self.path = path
        self.params = params
        self.paginator = paginator
        self.selector = selector
        self.startParam = startParam
        self.endParam = endParam
    }

    /// `params` with the window's bounds added.
    public func params(window: IncrementalWindow?) -> [String: String] {
        var out = params
        if let startParam, let start = window?.start { out[startParam] = start.description }
        if let endParam, let end = window?.end { out[endParam] = end.description }
        return out
    }
}

extension RESTClient {
    /// A resource reading every page of `endpoint`, its records written as rows; with an incremental
    /// hint, the run's window goes into the endpoint's start (and end) parameters, and the engine keeps
    /// only the rows past the stored cursor.
    ///
    /// ```swift
    /// var hints = ResourceHints(writeDisposition: .merge, primaryKey: ["id"])
    /// hints.incremental = Incremental(cursor: "updated_at", initialValue: "2024-01-01T00:00:00Z")
    /// let issues = client.resource("issues", endpoint: RESTEndpoint(path: "issues", startParam: "since"), hints: hints)
    /// ```
    public func resource(_ name: String, endpoint: RESTEndpoint, hints: ResourceHints = ResourceHints()) -> Resource {
        Resource(name: name, hints: hints) { out in
            for try await page in pages(endpoint.path, params: endpoint.params(window: out.window), paginator: endpoint.paginator,
                                        selector: endpoint.selector)
            {
                for record in page.records { try await out.write(JSONLinesReader.row(from: record)) }
            }
        }
    }
}
