import Foundation
import PipelineCore

/// How a ``RESTClient`` walks the pages of an endpoint, chosen explicitly (never guessed from the
/// response, a guess dlt's maintainers came to regret): each kind is a small value type.
///
/// A paginator is stateless: it reads where it is from the request it sent (the `offset` or `page`
/// parameter) and the page it got (a header, a path in the body).
public protocol Paginator: Sendable {
    /// Prepares the first request (sets `offset=0&limit=100`, `page=1`). The default changes nothing.
    func prepare(_ request: inout RESTRequest)
    /// The request of the page after `page`, or `nil` when `page` is the last.
    func next(after page: RESTPage) throws -> RESTRequest?
}

extension Paginator {
    public func prepare(_ request: inout RESTRequest) {}
}

/// One request, no pages after it.
public struct SinglePagePaginator: Paginator {
    public init() {}
    public func next(after page: RESTPage) throws -> RESTRequest? { nil }
}

/// The next page's URL is in the `Link` header (RFC 8288), as GitHub sends it: `<https://...?page=2>; rel="next"`.
public struct HeaderLinkPaginator: Paginator {
    /// The relation to follow.
    public var rel: String

    public init(rel: String = "next") { self.rel = rel }

    public func next(after page: RESTPage) throws -> RESTRequest? {
        guard let header = page.response.header("link"), let target = Self.link(rel, in: header) else { return nil }
        return try page.request.following(target)
    }

    /// The target of relation `rel` in a `Link` header value.
    static func link(_ rel: String, in header: String) -> String? {
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = pieces.first, first.hasPrefix("<"), first.hasSuffix(">") else { continue }
            let rels = pieces.dropFirst().compactMap { piece -> [String]? in
                let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2, pair[0].lowercased() == "rel" else { return nil }
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")).split(separator: " ").map { $0.lowercased() }
            }.joined()
            if rels.contains(rel.lowercased()) { return String(first.dropFirst().dropLast()) }
        }
        return nil
    }
}

/// The next page's URL is in the body at a path (`next`, `links.next`), as dlt's `json_link`; `null`,
/// an empty string or no value ends the walk.
public struct JSONLinkPaginator: Paginator {
    public var nextURLPath: JSONPath

    public init(nextURLPath: JSONPath = "next") { self.nextURLPath = nextURLPath }

    public func next(after page: RESTPage) throws -> RESTRequest? {
        guard let target = nextURLPath.text(in: page.body) else { return nil }
        return try page.request.following(target)
    }
}

/// A cursor in the body at a path goes into a query parameter of the next request, as dlt's `cursor`
/// paginator (`{"next_cursor": "abc"}` -> `?cursor=abc`); `null`, empty or no value ends the walk.
public struct JSONCursorPaginator: Paginator {
    public var cursorPath: JSONPath
    public var cursorParam: String

    public init(cursorPath: JSONPath = "cursors.next", cursorParam: String = "cursor") {
        self.cursorPath = cursorPath
        self.cursorParam = cursorParam
    }

    public func next(after page: RESTPage) throws -> RESTRequest? {
        guard let cursor = cursorPath.text(in: page.body) else { return nil }
        var request = page.request
        request.setQuery(cursorParam, cursor)
        return request
    }
}

/// `offset` and `limit` query parameters, as dlt's `offset` paginator. The walk ends on a page with no
/// records, when the next offset reaches the total found at `totalPath` (when given; a page without it is
/// an error), past `maximumOffset`, or, with `stopOnShortPage`, on a page with fewer than `limit` records
/// (off by default: a server that caps `limit` lower would end the walk after one page).
public struct OffsetPaginator: Paginator {
    public var limit: Int
    public var offset: Int
    public var offsetParam: String
    public var limitParam: String
    public var totalPath: JSONPath?
    public var maximumOffset: Int?
    public var stopOnShortPage: Bool

    public init(limit: Int, offset: Int = 0, offsetParam: String = "offset", limitParam: String = "limit",
                totalPath: JSONPath? = nil, maximumOffset: Int? = nil, stopOnShortPage: Bool = false)
    {
        self.limit = limit
        self.offset = offset
        self.offsetParam = offsetParam
        self.limitParam = limitParam
        self.totalPath = totalPath
        self.maximumOffset = maximumOffset
        self.stopOnShortPage = stopOnShortPage
    }

    public func prepare(_ request: inout RESTRequest) {
        request.setQuery(offsetParam, String(offset))
        request.setQuery(limitParam, String(limit))
    }

    public func next(after page: RESTPage) throws -> RESTRequest? {
        if page.records.isEmpty || (stopOnShortPage && page.records.count < limit) { return nil }
        let current = page.request.query(offsetParam).flatMap { Int($0) } ?? offset
        let next = current + limit
        if let totalPath {
            guard let total = totalPath.integer(in: page.body) else {
                throw SluiceError(.badInput, "the response of GET \(page.shownURL) has no total at \"\(totalPath)\" (offset paginator total_path)")
            }
            if next >= total { return nil }
        }
        if let maximumOffset, next >= maximumOffset { return nil }
        var request = page.request
        request.setQuery(offsetParam, String(next))
        return request
    }
}

/// A page number query parameter, as dlt's `page_number` paginator. The walk ends on a page with no
/// records, after the last page by the count found at `totalPagesPath` (when given; a page without it is
/// an error), or past `maximumPage`.
public struct PageNumberPaginator: Paginator {
    public var pageParam: String
    /// The first page's number (1 for most APIs, 0 for some).
    public var basePage: Int
    public var totalPagesPath: JSONPath?
    public var maximumPage: Int?

    public init(pageParam: String = "page", basePage: Int = 1, totalPagesPath: JSONPath? = nil, maximumPage: Int? = nil) {
        self.pageParam = pageParam
        self.basePage = basePage
        self.totalPagesPath = totalPagesPath
        self.maximumPage = maximumPage
    }

    public func prepare(_ request: inout RESTRequest) {
        request.setQuery(pageParam, String(basePage))
    }

    public func next(after page: RESTPage) throws -> RESTRequest? {
        if page.records.isEmpty { return nil }
        let next = (page.request.query(pageParam).flatMap { Int($0) } ?? basePage) + 1
        if let totalPagesPath {
            guard let total = totalPagesPath.integer(in: page.body) else {
                throw SluiceError(.badInput, "the response of GET \(page.shownURL) has no page count at \"\(totalPagesPath)\" (page_number paginator total_path)")
            }
            if next >= basePage + total { return nil }
        }
        if let maximumPage, next > maximumPage { return nil }
        var request = page.request
        request.setQuery(pageParam, String(next))
        return request
    }
}

extension RESTRequest {
    /// The request for a next-page link: relative links resolve against this URL; a link to another host
    /// (or scheme or port) is refused, since the request carries the API's credentials.
    func following(_ link: String) throws -> RESTRequest {
        guard let target = URL(string: link, relativeTo: url)?.absoluteURL else {
            throw SluiceError(.badInput, "the response of GET \(redactedURL) links the next page to something that is not a URL")
        }
        guard target.scheme == url.scheme, target.host == url.host, target.port == url.port else {
            throw SluiceError(.badInput, "the response of GET \(redactedURL) links the next page to another host "
                + "(\(RESTRedaction.redact(target))); not followed, the request carries the API's credentials")
        }
        var request = self
        request.url = target
        return request
    }
}
