import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A multi-request HTTP/1.1 server on 127.0.0.1 for tests of HTTP clients: a handler picks each reply
/// (canned JSON, a status with headers, a dropped connection, a body cut short), every request is recorded.
///
/// ```swift
/// let server = try FixtureHTTPServer { request, seen in
///     seen == 0 ? .status(500) : .json(#"[{"id": 1}]"#)   // 500 first, then the page
/// }
/// defer { server.stop() }
/// ```
///
/// Plain POSIX sockets: one thread accepts, one thread serves each connection (keep-alive), each read
/// times out after 60 s, so a test that forgets to stop it leaves no thread behind for long. 60 s, as the
/// tests' clients wait for an answer: on a loaded machine a client was seen to send its request more than
/// 10 s after it connected, and a shorter wait here closed the connection under it (a retry the test did not
/// expect: `RetryTests` failed 2 in about 40 runs).
public final class FixtureHTTPServer: Sendable {
    /// A request as the server read it.
    public struct Request: Sendable {
        public var method: String
        /// The request target: the path with its query (`/issues?page=2`).
        public var target: String
        /// Header names in lower case.
        public var headers: [String: String]
        public var body: Data

        /// The path without the query.
        public var path: String { String(target.prefix { $0 != "?" }) }

        /// The query parameters, percent-decoded (a name given twice keeps its last value).
        public var query: [String: String] {
            var out: [String: String] = [:]
            for item in URLComponents(string: target)?.queryItems ?? [] { out[item.name] = item.value ?? "" }
            return out
        }
    }

    /// How the server answers one request.
    public enum Reply: Sendable {
        /// A full response.
        case respond(status: Int, headers: [String: String], body: Data)
        /// The connection is closed without a response.
        case drop
        /// No response: the connection is held until the client gives up (its timeout) or 60 s pass.
        case stall
        /// The head announces `body` whole (`Content-Length`), then only its first `sent` bytes go and the
        /// connection is closed.
        case truncated(status: Int, headers: [String: String], body: Data, sent: Int)

        /// `200` (or `status`) with a JSON body.
        public static func json(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> Reply {
            .respond(status: status, headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a }, body: Data(text.utf8))
        }

        /// A status with an empty body.
        public static func status(_ status: Int, headers: [String: String] = [:]) -> Reply {
            .respond(status: status, headers: headers, body: Data())
        }
    }

    /// Picks the reply to a request; `seen` counts the earlier requests to the same path (0 for the first).
    public typealias Handler = @Sendable (_ request: Request, _ seen: Int) -> Reply

    /// The loopback port it listens on.
    public let port: UInt16
    private let socketFD: Int32
    private let handler: Handler
    private let log = Mutex<(requests: [Request], perPath: [String: Int])>(([], [:]))
    /// Open connections, closed by ``stop()``: a client's pooled keep-alive connection must not reach a
    /// stopped server's handler when a later server gets the same port.
    private let connections = Mutex<(open: Set<Int32>, stopped: Bool)>(([], false))

    /// `http://127.0.0.1:<port>`, no trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request so far, in the order they came.
    public var requests: [Request] { log.withLock { $0.requests } }

    /// Listens on a free loopback port and answers each request with `handler`.
    public init(handler: @escaping Handler) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        socketFD = fd
        port = UInt16(bigEndian: address.sin_port)
        self.handler = handler
        Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { break }  // stopped
                let accepted = connections.withLock { c in
                    if c.stopped { return false }
                    c.open.insert(client)
                    return true
                }
                guard accepted else {
                    close(client)
                    break
                }
                Thread { [self] in serve(client) }.start()
            }
        }.start()
    }

    /// Stops accepting connections and ends the open ones.
    public func stop() {
        // Under the lock: a connection's descriptor is closed under it too, so no reused number is shut down.
        let first = connections.withLock { c in
            defer { c.stopped = true }
            for client in c.open { shutdown(client, Int32(SHUT_RDWR)) }
            return !c.stopped
        }
        guard first else { return }
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
    }

    deinit { stop() }

    private func serve(_ client: Int32) {
        defer {
            connections.withLock { c in
                c.open.remove(client)
                close(client)
            }
        }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var pending = Data()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            // One request: the head, then Content-Length bytes of body.
            var request: Request?
            while request == nil {
                if let split = pending.firstRange(of: Data("\r\n\r\n".utf8)) {
                    let head = String(decoding: pending[..<split.lowerBound], as: UTF8.self)
                    let lines = head.components(separatedBy: "\r\n")
                    let first = lines.first?.split(separator: " ") ?? []
                    var headers: [String: String] = [:]
                    for line in lines.dropFirst() {
                        guard let colon = line.firstIndex(of: ":") else { continue }
                        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    }
                    let length = headers["content-length"].flatMap { Int($0) } ?? 0
                    if pending.count - split.upperBound >= length {
                        let bodyEnd = split.upperBound + length
                        request = Request(method: first.count > 0 ? String(first[0]) : "", target: first.count > 1 ? String(first[1]) : "/",
                                          headers: headers, body: Data(pending[split.upperBound..<bodyEnd]))
                        pending = Data(pending[bodyEnd...])
                        break
                    }
                }
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { return }
                pending.append(contentsOf: buffer[0..<n])
            }
            guard let request else { return }
            let seen = log.withLock { log in
                defer { log.perPath[request.path, default: 0] += 1 }
                log.requests.append(request)
                return log.perPath[request.path, default: 0]
            }
            switch handler(request, seen) {
            case .drop:
                return
            case .stall:
                _ = read(client, &buffer, buffer.count)
                return
            case .respond(let status, let headers, let body):
                reply(client, head(status, headers, length: body.count) + body)
            case .truncated(let status, let headers, let body, let sent):
                reply(client, head(status, headers, length: body.count) + body.prefix(sent))
                return
            }
        }
    }

    private func head(_ status: Int, _ headers: [String: String], length: Int) -> Data {
        var text = "HTTP/1.1 \(status) \(status < 400 ? "OK" : "Error")\r\nContent-Length: \(length)\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        return Data((text + "\r\n").utf8)
    }

    private func reply(_ client: Int32, _ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                // MSG_NOSIGNAL: a client that went away is no SIGPIPE for the test process.
                let n = send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
