import Foundation
import PipelineCore

/// The pages of one endpoint, fetched lazily: the next request goes out only when the loop asks for the
/// next page, so at most one page is in memory. Ends when the paginator finds no next page.
public struct RESTPages: AsyncSequence, Sendable {
    public typealias Element = RESTPage
    let client: RESTClient
    let first: Result<RESTRequest, any Error>
    let paginator: any Paginator
    let selector: RecordSelector

    public func makeAsyncIterator() -> Iterator {
        Iterator(pages: self, next: first.map { request in
            var request = request
            paginator.prepare(&request)
            return request
        })
    }

    public struct Iterator: AsyncIteratorProtocol {
        let pages: RESTPages
        var next: Result<RESTRequest, any Error>?
        var count = 0
        /// Every URL fetched (one per page, at most `maximumPages`): a paginator that goes round in a
        /// cycle (A -> B -> A) is stopped, not followed forever.
        var fetched: Set<URL> = []

        public mutating func next() async throws -> RESTPage? {
            guard let pending = next else { return nil }
            next = nil
            let request = try pending.get()
            let client = pages.client
            count += 1
            if count > client.configuration.maximumPages {
                throw SluiceError(.badInput, "GET \(client.redacted(request.url)): more than \(client.configuration.maximumPages) pages "
                    + "(RESTClient.Configuration.maximumPages); is the paginator right for this API?")
            }
            let response = try await client.send(request)
            let body = try response.json()
            let records = try pages.selector.records(in: body, url: client.redacted(response.url))
            let page = RESTPage(request: request, response: response, body: body, records: records)
            fetched.insert(request.url)
            if let following = try pages.paginator.next(after: page) {
                guard !fetched.contains(following.url) else {
                    throw SluiceError(.badInput, "GET \(client.redacted(request.url)): the paginator asks for a page it already got, "
                        + "\(client.redacted(following.url)) (is its cursor or link path right?)")
                }
                next = .success(following)
            }
            return page
        }
    }
}
