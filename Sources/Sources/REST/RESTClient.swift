import Foundation
import PipelineCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP client for sources: a base URL, default headers, auth, an explicit paginator, retries with
/// backoff, timeouts and an optional rate limit, over Foundation's `URLSession` (libcurl on Linux).
///
/// ```swift
/// var configuration = RESTClient.Configuration(baseURL: URL(string: "https://api.github.com/repos/apple/swift/")!)
/// configuration.auth = BearerTokenAuth(token: token)
/// configuration.paginator = HeaderLinkPaginator()
/// let client = RESTClient(configuration)
/// for try await page in client.pages("issues", params: ["state": "all", "per_page": "100"]) {
///     for row in page.rows { try await out.write(row) }
/// }
/// ```
///
/// Each page is read whole, checked (its `Content-Length`, its JSON, with Sluice's own scanner) and only
/// then handed over, so memory is bounded by one page and a page cut short is never loaded in part.
/// Errors name the method and the URL with its secrets masked (``RESTRedaction``), never a credential.
public struct RESTClient: Sendable {
    /// What a client does; every field has a default but the base URL.
    public struct Configuration: Sendable {
        /// Paths resolve against it (`https://api.example.com/v1/` + `users` -> `.../v1/users`; keep the trailing slash).
        public var baseURL: URL
        /// Sent with every request (`Accept`, `User-Agent`, an API version).
        public var headers: [String: String]
        public var auth: (any RESTAuth)?
        /// The paginator of ``pages(_:params:paginator:selector:)`` when the call gives none.
        public var paginator: any Paginator
        public var retry: RetryPolicy
        /// The longest a request may take before it fails (and is retried); whole seconds, at least one.
        public var timeout: Duration
        /// At most this many requests a second (`nil`: no limit).
        public var requestsPerSecond: Double?
        /// A walk of more pages than this fails (a paginator that never ends).
        public var maximumPages: Int

        public init(baseURL: URL, headers: [String: String] = [:], auth: (any RESTAuth)? = nil,
                    paginator: any Paginator = SinglePagePaginator(), retry: RetryPolicy = RetryPolicy(),
                    timeout: Duration = .seconds(60), requestsPerSecond: Double? = nil, maximumPages: Int = 1_000_000)
        {
            self.baseURL = baseURL
            self.headers = headers
            self.auth = auth
            self.paginator = paginator
            self.retry = retry
            self.timeout = timeout
            self.requestsPerSecond = requestsPerSecond
            self.maximumPages = maximumPages
        }
    }

    public let configuration: Configuration
    /// One session for every client: no cache, no cookies; each request carries its client's timeout.
    static let session: URLSession = {
        let options = URLSessionConfiguration.ephemeral
        options.urlCache = nil
        options.httpCookieStorage = nil
        options.httpShouldSetCookies = false
        options.requestCachePolicy = .reloadIgnoringLocalCacheData
        return URLSession(configuration: options, delegate: RedirectGuard(), delegateQueue: nil)
    }()
    let clock: any Clock<Duration>
    let elapsed: @Sendable () -> Duration
    /// A check that turns true once `duration` has passed on the client's clock (token expiry).
    let deadline: @Sendable (Duration) -> @Sendable () -> Bool
    let pacer: Pacer?
    /// The wall time, for a `Retry-After` given as an HTTP date.
    let now: @Sendable () -> Date

    /// A client; `clock` paces the rate limit, the backoff waits and token expiry (tests pass one that
    /// does not wait); `now` is the wall time a `Retry-After` date is measured from (tests pass a fixed one).
    public init(_ configuration: Configuration, clock: any Clock<Duration> = ContinuousClock(),
                now: @escaping @Sendable () -> Date = { Date() })
    {
        self.configuration = configuration
        self.clock = clock
        self.now = now
        elapsed = Self.stopwatch(clock)
        deadline = Self.deadlines(clock)
        pacer = configuration.requestsPerSecond.flatMap { $0 > 0 ? Pacer(interval: .seconds(1 / $0)) : nil }
    }

    private static func deadlines<C: Clock<Duration>>(_ clock: C) -> @Sendable (Duration) -> @Sendable () -> Bool {
        { duration in
            let end = clock.now.advanced(by: duration)
            return { clock.now >= end }
        }
    }

    private static func stopwatch<C: Clock<Duration>>(_ clock: C) -> @Sendable () -> Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }

    /// The request for `path` (relative to the base URL; an absolute URL is taken as it is) with `params`
    /// in its query and the default headers.
    public func request(_ path: String, params: [String: String] = [:]) throws -> RESTRequest {
        let base = configuration.baseURL
        guard let url = URL(string: path, relativeTo: base.absoluteString.hasSuffix("/") || path.isEmpty ? base : base.appendingPathComponent(""))?.absoluteURL else {
            throw SluiceError(.configuration, "path '\(path)' does not make a URL with base \(RESTRedaction.redact(base))")
        }
        // The request carries the API's credentials: only to the API's own scheme, host and port.
        guard RedirectGuard.sameOrigin(url, base) else {
            throw SluiceError(.configuration, "path '\(RESTRedaction.redact(url))' is not on \(RESTRedaction.redact(base)): refused, "
                + "the request would carry the API's credentials to another host")
        }
        var request = RESTRequest(url: url, headers: configuration.headers)
        for (name, value) in params.sorted(by: { $0.key < $1.key }) { request.setQuery(name, value) }
        return request
    }

    /// The pages of `path`, fetched one at a time as the loop asks for them.
    public func pages(_ path: String, params: [String: String] = [:], paginator: (any Paginator)? = nil,
                      selector: RecordSelector = .body) -> RESTPages
    {
        RESTPages(client: self, first: Result { try request(path, params: params) }, paginator: paginator ?? configuration.paginator,
                  selector: selector)
    }

    /// One JSON document (no pagination).
    public func get(_ path: String, params: [String: String] = [:]) async throws -> Value {
        try await send(try request(path, params: params)).json()
    }

    /// `url` as messages show it: secret query parameters (and the auth's own) masked.
    func redacted(_ url: URL) -> String {
        RESTRedaction.redact(url, extraNames: configuration.auth?.queryParameters ?? [])
    }

    /// Sends `request` (with the auth, unless `authorize` is false), retrying as ``RetryPolicy`` says and
    /// once after a `401` when the auth can refresh. Returns a `2xx` response, else throws a ``SluiceError``
    /// naming the method, the URL as sent (secrets as `***`) and the status: code `.refused` for a 4xx
    /// other than 408 and 429 (retrying cannot help), `.io` for what may pass (connection errors, 408,
    /// 429, 5xx after the last attempt).
    public func send(_ request: RESTRequest, authorize: Bool = true) async throws -> RESTResponse {
        try await retrying(request, authorize: authorize) { prepared in try await exchange(prepared) }
    }

    /// The retry loop of ``send(_:authorize:)``, around any round trip (``download(_:params:to:)`` reuses it):
    /// `exchange` gets the request with its auth and returns the response (its body may be an excerpt).
    func retrying(_ request: RESTRequest, authorize: Bool,
                  _ exchange: (RESTRequest) async throws -> RESTResponse) async throws -> RESTResponse
    {
        let policy = configuration.retry
        var generator = SystemRandomNumberGenerator()
        var refreshed = false
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            if let pacer { try await pacer.wait(clock: clock, now: elapsed) }
            var prepared = request
            if authorize, let auth = configuration.auth { try await auth.authorize(&prepared, client: self) }
            // The request as it was sent (the auth's query parameter included), its secrets as `***`.
            let shown = "\(prepared.method) \(redacted(prepared.url))"
            let outcome: Result<RESTResponse, URLError>
            do {
                outcome = .success(try await exchange(prepared))
            } catch let error as URLError where Self.isRetryable(error) {
                outcome = .failure(error)
            } catch let error as URLError {
                throw SluiceError(.io, "\(shown): \(Self.describe(error))")
            }
            switch outcome {
            case .success(let response) where (200...299).contains(response.status):
                return response
            case .success(let response) where response.status == 401 && authorize && !refreshed && configuration.auth?.unauthorized() == true:
                refreshed = true
                attempt -= 1  // a refreshed token is not a retry
            case .success(let response) where RetryPolicy.isRetryable(status: response.status) && attempt < policy.maximumAttempts:
                var wait = policy.backoff(retry: attempt, using: &generator)
                if let header = response.header("retry-after"), let asked = RetryPolicy.retryAfter(header, now: now()) {
                    guard asked <= policy.maximumRetryAfter else {
                        throw SluiceError(.io, "\(shown): HTTP \(response.status) with Retry-After \(header), longer than the "
                            + "\(policy.maximumRetryAfter) this client waits (RetryPolicy.maximumRetryAfter)")
                    }
                    wait = asked
                }
                try await clock.sleep(for: wait)
            case .success(let response):
                let tries = attempt > 1 ? " after \(attempt) attempts" : ""
                // A 4xx other than 408 and 429 comes back the same however often it is sent: `.refused`, which
                // a flow's retries skip; a 408, 429 or 5xx that outlasted the attempts may pass (`.io`).
                let code: SluiceError.Code = RetryPolicy.isRefusal(status: response.status) ? .refused : .io
                throw SluiceError(code, "\(shown): HTTP \(response.status)\(tries)\(excerpt(response.body))")
            case .failure(let error) where attempt < policy.maximumAttempts:
                _ = error
                try await clock.sleep(for: policy.backoff(retry: attempt, using: &generator))
            case .failure(let error):
                throw SluiceError(.io, "\(shown): \(Self.describe(error)) after \(attempt) attempt\(attempt == 1 ? "" : "s"); "
                    + "nothing of this page was loaded")
            }
        }
    }

    /// One round trip; a body shorter than its `Content-Length` is a lost connection.
    private func exchange(_ request: RESTRequest) async throws -> RESTResponse {
        var urlRequest = URLRequest(url: request.url)
        // Whole seconds, at least one: Foundation on Linux truncates, and a 0 fails every request at once.
        let timeout = configuration.timeout.components
        urlRequest.timeoutInterval = max(1, (Double(timeout.seconds) + Double(timeout.attoseconds) / 1e18).rounded(.up))
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        let (data, response) = try await Self.session.data(for: urlRequest)
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        if headers["content-encoding"] == nil, let length = headers["content-length"].flatMap({ Int($0) }), length != data.count {
            throw URLError(.networkConnectionLost, userInfo: [NSLocalizedDescriptionKey: "the body was cut short (\(data.count) of \(length) bytes)"])
        }
        var received = RESTResponse(url: request.url, status: http.statusCode, headers: headers, body: data)
        received.hiddenParameters = configuration.auth?.queryParameters ?? []
        return received
    }

    /// The start of an error response's body, with the auth's secrets masked.
    func excerpt(_ body: Data) -> String {
        var text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return "" }
        for secret in configuration.auth?.secrets ?? [] where secret.count >= 4 { text = text.replacingOccurrences(of: secret, with: "***") }
        return ": " + text.replacingOccurrences(of: "\n", with: " ")
    }

    static func isRetryable(_ error: URLError) -> Bool {
        ![.cancelled, .badURL, .unsupportedURL, .userAuthenticationRequired, .appTransportSecurityRequiresSecureConnection].contains(error.code)
    }

    static func describe(_ error: URLError) -> String {
        if let reason = error.userInfo[NSLocalizedDescriptionKey] as? String, reason.hasPrefix("the body") { return reason }
        switch error.code {
        case .timedOut: return "timed out"
        case .cannotConnectToHost: return "connection refused"
        case .networkConnectionLost: return "the connection was lost"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .badServerResponse: return "a malformed response"
        case .unknown: return "the transfer failed (the connection closed early, or a body was cut short)"
        default: return "connection error \(error.code.rawValue)"
        }
    }
}

/// Spaces requests at least `interval` apart (the rate limit), across every task using one client.
actor Pacer {
    let interval: Duration
    private var next: Duration = .zero

    init(interval: Duration) { self.interval = interval }

    func wait(clock: any Clock<Duration>, now: @Sendable () -> Duration) async throws {
        let current = now()
        let slot = max(current, next)
        next = slot + interval
        if slot > current { try await clock.sleep(for: slot - current) }
    }
}
