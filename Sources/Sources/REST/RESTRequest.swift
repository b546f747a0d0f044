import Foundation
import PipelineCore

/// One HTTP request of a ``RESTClient``: method, full URL (query included), headers and body.
///
/// Paginators and auth change requests through ``query(_:)`` and ``setQuery(_:_:)``; a value type, so a
/// paginator returns the next page's request without touching the one that was sent.
public struct RESTRequest: Sendable, Hashable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?

    public init(method: String = "GET", url: URL, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of query parameter `name`, percent-decoded.
    public func query(_ name: String) -> String? {
        URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems?.last { $0.name == name }?.value
    }

    /// Sets query parameter `name` to `value` (replacing every earlier value), or removes it when `value` is nil.
    public mutating func setQuery(_ name: String, _ value: String?) {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return }
        var items = (components.queryItems ?? []).filter { $0.name != name }
        if let value { items.append(URLQueryItem(name: name, value: value)) }
        components.queryItems = items.isEmpty ? nil : items
        // `+` is a space to most servers: encode it, which URLComponents leaves alone.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        if let changed = components.url { url = changed }
    }

    /// The URL as messages show it: userinfo and secret-looking query values (see ``RESTRedaction``) as `***`.
    public var redactedURL: String { RESTRedaction.redact(url) }
}

/// A response as a ``RESTClient`` received it: whole, checked against its `Content-Length`.
public struct RESTResponse: Sendable {
    /// The URL of the request that got this response.
    public var url: URL
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: Data
    /// Query parameters masked when the URL is shown (those the auth adds).
    var hiddenParameters: Set<String> = []

    public init(url: URL, status: Int, headers: [String: String], body: Data) {
        self.url = url
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The header `name` (any case).
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body parsed with Sluice's JSON scanner; an empty body is `null`. Invalid or truncated JSON is a
    /// ``SluiceError`` naming the (redacted) URL and the byte, never a partial value.
    public func json() throws -> Value {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .null }
        do {
            return try body.withUnsafeBytes { raw in try JSONText.decode(raw.bindMemory(to: UInt8.self)) }
        } catch let error as JSONText.ParseError {
            throw SluiceError(.badInput, "the response of GET \(RESTRedaction.redact(url, extraNames: hiddenParameters)) is not valid JSON (\(body.count) bytes): "
                + error.message(offset: true) + "; nothing of this page was loaded")
        }
    }
}

/// One page of records: the request that got it, the response, the parsed body and the records the
/// selector found in it.
public struct RESTPage: Sendable {
    public var request: RESTRequest
    public var response: RESTResponse
    /// The whole body, parsed.
    public var body: Value
    /// The records of this page (see ``RecordSelector``).
    public var records: [Value]

    public init(request: RESTRequest, response: RESTResponse, body: Value, records: [Value]) {
        self.request = request
        self.response = response
        self.body = body
        self.records = records
    }

    /// The URL of the request as it was sent (the auth's query parameter included), as messages show it:
    /// its secrets as `***`.
    public var shownURL: String { RESTRedaction.redact(response.url, extraNames: response.hiddenParameters) }

    /// The records as rows: an object is a row, any other value a row of one field named `value`.
    public var rows: [Row] { records.map(JSONLinesReader.row(from:)) }
}
