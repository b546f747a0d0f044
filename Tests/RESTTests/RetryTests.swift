import Foundation
import PipelineCore
import SluiceTesting
import Sources
import Synchronization
import Testing

/// Retries: what is retried, how long the client waits (on a clock that records instead of sleeping),
/// and what a request that never succeeds reports.
@Suite("REST retries")
struct RetryTests {
    @Test func tooManyRequestsWaitsWhatRetryAfterSays() async throws {
        let server = try FixtureHTTPServer { _, seen in seen == 0 ? .status(429, headers: ["Retry-After": "7"]) : .json(items(0..<2)) }
        defer { server.stop() }
        let clock = FastForwardClock()
        let (records, _) = try await collect(makeClient(server, clock: clock).pages("items"))
        #expect(ids(records) == [0, 1])
        #expect(clock.sleeps == [.seconds(7)] && server.requests.count == 2,
                "sleeps \(clock.sleeps), requests \(server.requests.map(\.target))")  // failed once under load: what was retried
    }

    @Test func retryAfterAsAnHTTPDate() async throws {
        // The wait is measured from the client's wall time (`now`), fixed here: the same however long the
        // machine stalls between the answer and the client reading it.
        let server = try FixtureHTTPServer { _, seen in
            seen == 0 ? .status(503, headers: ["Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"]) : .json("[]")
        }
        defer { server.stop() }
        let clock = FastForwardClock()
        var configuration = RESTClient.Configuration(baseURL: URL(string: server.baseURL + "/api/")!)
        configuration.timeout = .seconds(10)
        let now = Date(timeIntervalSince1970: 1_445_412_450)  // 2015-10-21T07:27:30Z, 30 s before the date
        _ = try await collect(RESTClient(configuration, clock: clock, now: { now }).pages("items"))
        #expect(clock.sleeps == [.seconds(30)] && server.requests.count == 2)
        #expect(RetryPolicy.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == .seconds(30))
        #expect(RetryPolicy.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT") == .zero)  // in the past: no wait
    }

    @Test func aServerErrorThenSuccessBacksOffWithJitter() async throws {
        let server = try FixtureHTTPServer { _, seen in seen < 3 ? .status(seen == 0 ? 500 : 502) : .json(items(0..<1)) }
        defer { server.stop() }
        let clock = FastForwardClock()
        let client = makeClient(server, clock: clock) { $0.retry = RetryPolicy(maximumAttempts: 4, initialDelay: .seconds(2)) }
        #expect(ids(try await collect(client.pages("items")).records) == [0])
        // Full jitter: retry k waits somewhere in 0...2 * 2^(k-1) seconds.
        #expect(clock.sleeps.count == 3)
        for (k, sleep) in clock.sleeps.enumerated() { #expect(sleep >= .zero && sleep <= .seconds(2 << k)) }
    }

    @Test func aDroppedConnectionIsRetried() async throws {
        let server = try FixtureHTTPServer { _, seen in seen == 0 ? .drop : .json(items(0..<3)) }
        defer { server.stop() }
        let clock = FastForwardClock()
        #expect(ids(try await collect(makeClient(server, clock: clock).pages("items")).records) == [0, 1, 2])
        #expect(server.requests.count == 2 && clock.sleeps.count == 1)
    }

    @Test func aBodyCutShortIsRetriedThenAClearErrorWithTheURLRedacted() async throws {
        let body = Data(items(0..<50).utf8)
        let server = try FixtureHTTPServer { request, seen in
            request.query["page"] == "2" ? .truncated(status: 200, headers: [:], body: body, sent: body.count / 2)
                : .json(items(0..<2), headers: ["Link": "</api/items?page=2&access_token=tok-12345>; rel=\"next\""])
        }
        defer { server.stop() }
        let client = makeClient(server) {
            $0.paginator = HeaderLinkPaginator()
            $0.retry = RetryPolicy(maximumAttempts: 3)
        }
        var seen: [Int64] = []
        let message = await errorMessage { for try await page in client.pages("items") { seen += ids(page.records) } }
        #expect(seen == [0, 1])  // the first page only: nothing of the page cut short
        #expect(message.contains("GET http://127.0.0.1:\(server.port)/api/items?page=2&access_token=***"))
        #expect(message.contains("after 3 attempts") && message.contains("nothing of this page was loaded"))
        #expect(!message.contains("tok-12345"))
        #expect(server.requests.count == 4)
    }

    @Test func invalidJSONIsNotRetriedAndNamesTheURL() async throws {
        let server = try FixtureHTTPServer { _, _ in .json(#"[{"id": 1}, {"id": 2"#) }
        defer { server.stop() }
        let message = await errorMessage { _ = try await collect(makeClient(server).pages("items", params: ["api_key": "k-98765"])) }
        #expect(message.contains("the response of GET http://127.0.0.1:\(server.port)/api/items?api_key=*** is not valid JSON"))
        #expect(!message.contains("k-98765") && server.requests.count == 1)
    }

    @Test func aClientErrorIsNotRetried() async throws {
        let server = try FixtureHTTPServer { _, _ in .json(#"{"message": "Not Found"}"#, status: 404) }
        defer { server.stop() }
        let message = await errorMessage { _ = try await makeClient(server).get("missing") }
        // The server saw one request: the 404 was not asked again. (On a loaded machine a loopback request was
        // seen to fail before reaching the server and be retried, as a transport error is: the message then
        // says "after 2 attempts", and only the server's count tells whether the 404 itself was retried.)
        #expect(message.contains("GET http://127.0.0.1:\(server.port)/api/missing: HTTP 404"), "\(message)")
        #expect(message.hasSuffix(": {\"message\": \"Not Found\"}"), "\(message)")
        #expect(server.requests.count == 1)
        // Code `refused`: the flow's retries skip it too (PipelineFlows.isWorthRetrying).
        await #expect { _ = try await makeClient(server).get("missing") } throws: { ($0 as? SluiceError)?.code == .refused }
    }

    @Test func whatMayPassIsRetriedAndKeepsCodeIO() async throws {
        // 408 and 429 and 5xx are retried by the client; after the last attempt the error is `io`, which a flow retries.
        let server = try FixtureHTTPServer { request, _ in .status(request.path == "/api/timeout" ? 408 : 503) }
        defer { server.stop() }
        let client = makeClient(server) { $0.retry = RetryPolicy(maximumAttempts: 2) }
        for path in ["timeout", "down"] {
            await #expect { _ = try await client.get(path) } throws: { error in
                (error as? SluiceError)?.code == .io && "\(error)".contains("after 2 attempts")
            }
        }
        #expect(server.requests.count == 4)
        #expect(RetryPolicy.isRefusal(status: 404) && RetryPolicy.isRefusal(status: 401) && !RetryPolicy.isRefusal(status: 429))
    }

    @Test func attemptsAreBoundedAndALongRetryAfterFailsAtOnce() async throws {
        let server = try FixtureHTTPServer { request, _ in
            request.path == "/api/slow" ? .status(429, headers: ["Retry-After": "3600"]) : .status(503)
        }
        defer { server.stop() }
        let clock = FastForwardClock()
        let client = makeClient(server, clock: clock) { $0.retry = RetryPolicy(maximumAttempts: 3) }
        #expect(await errorMessage { _ = try await client.get("down") }.contains("HTTP 503 after 3 attempts"))
        #expect(await errorMessage { _ = try await client.get("slow") }.contains("Retry-After 3600, longer than"))
        #expect(server.requests.count == 4 && clock.sleeps.count == 2)
    }

    @Test func aConnectionRefusedReportsAfterItsAttempts() async throws {
        let server = try FixtureHTTPServer { _, _ in .status(200) }
        server.stop()  // nobody listens on the port any more
        let client = makeClient(server) { $0.retry = RetryPolicy(maximumAttempts: 2) }
        let message = await errorMessage { _ = try await client.get("items") }
        #expect(message.contains("GET http://127.0.0.1:\(server.port)/api/items:") && message.contains("after 2 attempts"))
    }

    @Test func aRequestThatGetsNoAnswerTimesOut() async throws {
        let server = try FixtureHTTPServer { _, _ in .stall }
        defer { server.stop() }
        let client = makeClient(server) {
            $0.timeout = .seconds(1)
            $0.retry = RetryPolicy(maximumAttempts: 2)
        }
        let message = await errorMessage { _ = try await client.get("slow") }
        #expect(message.contains("/api/slow: timed out after 2 attempts"))
        #expect(server.requests.count == 2)
    }

    /// Asserted where the server sees the requests (on the client's clock), not by the list of sleeps: on
    /// a loaded machine a loopback connection can fail and be retried, and the retry's backoff is a
    /// sleep on the same clock (it once made the list `[0.851 s, 0.25 s]`).
    @Test func theRateLimitSpacesRequests() async throws {
        let clock = FastForwardClock()
        let arrivals = Mutex<[Duration]>([])
        let server = try FixtureHTTPServer { _, _ in
            arrivals.withLock { $0.append(clock.now.offset) }
            return .json("[]")
        }
        defer { server.stop() }
        let client = makeClient(server, clock: clock) { $0.requestsPerSecond = 4 }
        for _ in 0..<3 { _ = try await client.get("items") }
        let seen = arrivals.withLock { $0 }
        #expect(seen.count >= 3)  // 4 when a request reached the server and its answer was lost
        let gaps = zip(seen.dropFirst(), seen).map { $0 - $1 }
        #expect(!gaps.isEmpty && gaps.allSatisfy { $0 >= .milliseconds(250) }, "requests \(seen) came closer than 1/4 s")
        #expect(clock.sleeps.filter { $0 == .milliseconds(250) }.count >= 1)
    }
}
