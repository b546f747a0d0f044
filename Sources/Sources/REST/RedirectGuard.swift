import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Follows a redirect only within the origin (scheme, host and port) of the request that got it: a
/// request carries the API's credentials (a bearer token, an API key in a header or the query), and
/// following a `302` to another host would hand them over. A refused redirect comes back as the `3xx`
/// response, which the client reports as an error naming the URL (secrets masked). As the paginators
/// refuse a next link to another host.
final class RedirectGuard: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void)
    {
        completionHandler(Self.follow(request, of: task, after: response))
    }

    /// `request` when it stays within the origin of `task`'s first request, else `nil` (not followed).
    static func follow(_ request: URLRequest, of task: URLSessionTask, after response: HTTPURLResponse) -> URLRequest? {
        guard let from = task.originalRequest?.url ?? response.url, let to = request.url, sameOrigin(to, from) else { return nil }
        return request
    }

    /// Whether `a` and `b` have one scheme, host and port (the default port of the scheme when none is written).
    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        func port(_ url: URL) -> Int? { url.port ?? (url.scheme == "https" ? 443 : url.scheme == "http" ? 80 : nil) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && port(a) == port(b)
    }
}
