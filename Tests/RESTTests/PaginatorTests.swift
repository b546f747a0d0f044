import Foundation
import PipelineCore
import SluiceTesting
import Sources
import Testing

/// Each paginator walks a real loopback API to its end, and no further.
@Suite("REST paginators")
struct PaginatorTests {
    @Test func singlePageIsOneRequest() async throws {
        let server = try FixtureHTTPServer { _, _ in .json(items(0..<3), headers: ["Link": #"</api/x?page=2>; rel="next""#]) }
        defer { server.stop() }
        let (records, pages) = try await collect(makeClient(server).pages("items"))
        #expect(ids(records) == [0, 1, 2] && pages == 1 && server.requests.count == 1)
    }

    @Test func headerLinkFollowsRelNext() async throws {
        let server = try FixtureHTTPServer { request, _ in
            let page = Int(request.query["page"] ?? "1") ?? 1
            let link = page < 3 ? [#"Link"#: #"<\#(request.path)?page=\#(page + 1)&per_page=2>; rel="next", </api/items?page=3>; rel="last""#] : [:]
            return .json(items((page - 1) * 2..<page * 2), headers: link)
        }
        defer { server.stop() }
        let client = makeClient(server) { $0.paginator = HeaderLinkPaginator() }
        let (records, pages) = try await collect(client.pages("items", params: ["per_page": "2"]))
        #expect(ids(records) == [0, 1, 2, 3, 4, 5] && pages == 3)
        #expect(server.requests.map(\.target) == ["/api/items?per_page=2", "/api/items?page=2&per_page=2", "/api/items?page=3&per_page=2"])
    }

    @Test func jsonLinkFollowsTheURLInTheBody() async throws {
        let server = try FixtureHTTPServer { request, _ in
            let page = Int(request.query["page"] ?? "1") ?? 1
            let next = page < 2 ? #""\#(request.path)?page=2""# : "null"
            return .json(#"{"results": \#(items(page * 10..<page * 10 + 2)), "links": {"next": \#(next)}}"#)
        }
        defer { server.stop() }
        let client = makeClient(server) { $0.paginator = JSONLinkPaginator(nextURLPath: "links.next") }
        let (records, _) = try await collect(client.pages("items", selector: RecordSelector("results")))
        #expect(ids(records) == [10, 11, 20, 21])
    }

    @Test func aNextLinkToAnotherHostIsRefused() async throws {
        let server = try FixtureHTTPServer { _, _ in .json(#"{"data": [], "next": "http://evil.example/steal"}"#) }
        defer { server.stop() }
        let client = makeClient(server) { $0.paginator = JSONLinkPaginator() }
        let message = await errorMessage { _ = try await collect(client.pages("items", selector: RecordSelector("data"))) }
        #expect(message.contains("another host") && message.contains("not followed"))
    }

    @Test func jsonCursorGoesIntoTheQuery() async throws {
        let server = try FixtureHTTPServer { request, _ in
            switch request.query["cursor"] {
            case nil: .json(#"{"data": \#(items(0..<2)), "meta": {"next_cursor": "c2"}}"#)
            case "c2": .json(#"{"data": \#(items(2..<4)), "meta": {"next_cursor": "c3"}}"#)
            default: .json(#"{"data": \#(items(4..<5)), "meta": {"next_cursor": null}}"#)
            }
        }
        defer { server.stop() }
        let client = makeClient(server) { $0.paginator = JSONCursorPaginator(cursorPath: "meta.next_cursor", cursorParam: "cursor") }
        let (records, pages) = try await collect(client.pages("items", selector: RecordSelector("data")))
        #expect(ids(records) == [0, 1, 2, 3, 4] && pages == 3)
        #expect(server.requests.map { $0.query["cursor"] } == [nil, "c2", "c3"])
    }

    @Test func offsetStopsAtTheTotal() async throws {
        let server = try FixtureHTTPServer { request, _ in
            let offset = Int(request.query["offset"] ?? "") ?? -1
            let limit = Int(request.query["limit"] ?? "") ?? -1
            return .json(#"{"items": \#(items(offset..<min(offset + limit, 7))), "total": 7}"#)
        }
        defer { server.stop() }
        let client = makeClient(server) { $0.paginator = OffsetPaginator(limit: 3, totalPath: "total") }
        let (records, pages) = try await collect(client.pages("items", selector: RecordSelector("items")))
        #expect(ids(records) == Array(0..<7) && pages == 3)
        #expect(server.requests.map { $0.query["offset"] } == ["0", "3", "6"])
    }

    @Test(arguments: [false, true])
    func offsetStopsOnAnEmptyOrShortPage(short: Bool) async throws {
        let server = try FixtureHTTPServer { request, _ in
            let offset = Int(request.query["offset"] ?? "") ?? 0
            return .json(items(offset..<max(offset, min(offset + 4, 10))))
        }
        defer { server.stop() }
        let client = makeClient(server) { $0.paginator = OffsetPaginator(limit: 4, stopOnShortPage: short) }
        let (records, _) = try await collect(client.pages("items"))
        #expect(ids(records) == Array(0..<10))
        // 0, 4, 8 (2 records: short), then 12 (empty) unless a short page ends the walk.
        #expect(server.requests.count == (short ? 3 : 4))
    }

    @Test func offsetWithoutTheTotalInTheBodyIsAnError() async throws {
        let server = try FixtureHTTPServer { _, _ in .json(#"{"items": [{"id": 1}]}"#) }
        defer { server.stop() }
        let client = makeClient(server) { $0.paginator = OffsetPaginator(limit: 1, totalPath: "meta.total") }
        let message = await errorMessage { _ = try await collect(client.pages("items", selector: RecordSelector("items"))) }
        #expect(message.contains("no total at \"meta.total\""))
    }

    @Test func pageNumberStopsOnAnEmptyPage() async throws {
        let server = try FixtureHTTPServer { request, _ in
            let page = Int(request.query["p"] ?? "") ?? -1
            return .json(page <= 2 ? items(page * 10..<page * 10 + 2) : "[]")
        }
        defer { server.stop() }
        let client = makeClient(server) { $0.paginator = PageNumberPaginator(pageParam: "p", basePage: 1) }
        let (records, _) = try await collect(client.pages("items"))
        #expect(ids(records) == [10, 11, 20, 21])
        #expect(server.requests.map { $0.query["p"] } == ["1", "2", "3"])
    }

    @Test func pageNumberStopsAtTheTotalPages() async throws {
        let server = try FixtureHTTPServer { request, _ in
            let page = Int(request.query["page"] ?? "") ?? -1
            return .json(#"{"data": \#(items(page..<page + 1)), "total_pages": 3}"#)
        }
        defer { server.stop() }
        let client = makeClient(server) { $0.paginator = PageNumberPaginator(basePage: 0, totalPagesPath: "total_pages") }
        let (records, _) = try await collect(client.pages("items", selector: RecordSelector("data")))
        #expect(ids(records) == [0, 1, 2] && server.requests.count == 3)
    }

    @Test func aPaginatorAskingForTheSamePageAgainIsStopped() async throws {
        let server = try FixtureHTTPServer { _, _ in .json(#"{"data": [{"id": 1}], "next": "/api/items"}"#) }
        defer { server.stop() }
        let client = makeClient(server) { $0.paginator = JSONLinkPaginator() }
        let message = await errorMessage { _ = try await collect(client.pages("items", selector: RecordSelector("data"))) }
        #expect(message.contains("a page it already got") && server.requests.count == 1)
    }

    /// Found by the break-it trial: page A linking to B and B back to A was followed forever.
    @Test func aPaginatorGoingRoundInACycleIsStopped() async throws {
        let server = try FixtureHTTPServer { request, _ in
            request.query["p"] == "b" ? .json(#"{"data": [{"id": 2}], "next": "/api/items?p=a"}"#)
                : .json(#"{"data": [{"id": 1}], "next": "/api/items?p=b"}"#)
        }
        defer { server.stop() }
        let client = makeClient(server) { $0.paginator = JSONLinkPaginator() }
        let message = await errorMessage { _ = try await collect(client.pages("items?p=a", selector: RecordSelector("data"))) }
        #expect(message.contains("a page it already got") && server.requests.count == 2, "\(message)")
    }

    @Test func theSelectorFindsRecordsOrSaysWhatIsThere() async throws {
        let server = try FixtureHTTPServer { request, _ in
            switch request.path {
            case "/api/one": .json(#"{"id": 7, "name": "x"}"#)
            case "/api/none": .json(#"{"data": {"items": null}}"#)
            default: .json(#"{"data": {"items": [{"id": 1}, {"id": 2}]}, "meta": {}}"#)
            }
        }
        defer { server.stop() }
        let client = makeClient(server)
        #expect(ids(try await collect(client.pages("list", selector: RecordSelector("data.items"))).records) == [1, 2])
        #expect(ids(try await collect(client.pages("one")).records) == [7])
        #expect(try await collect(client.pages("none", selector: RecordSelector("$.data.items"))).records.isEmpty)
        let message = await errorMessage { _ = try await collect(client.pages("list", selector: RecordSelector("results"))) }
        #expect(message.contains("nothing at data_selector \"results\"") && message.contains("top-level keys: data, meta"))
    }
}
