import Foundation
import Synchronization
import Testing

@testable import Flows

#if canImport(Glibc)
import Glibc
#endif

/// A one-request HTTP server on 127.0.0.1: records the request body, answers with `status`.
final class OneShotHTTPServer: Sendable {
    let port: UInt16
    private let socketFD: Int32
    private let received = Mutex<(head: String, body: Data)?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(status: Int = 204) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 1) == 0 else { throw WaitTimeout(what: "a loopback port") }
        socketFD = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread { [self] in
            let client = accept(fd, nil, nil)
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                data.append(contentsOf: buffer[0..<n])
                if let split = data.firstRange(of: Data("\r\n\r\n".utf8)) {
                    let head = String(decoding: data[..<split.lowerBound], as: UTF8.self)
                    let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                    if data.count - split.upperBound >= length {
                        received.withLock { $0 = (head, Data(data[split.upperBound...])) }
                        break
                    }
                }
            }
            let reply = "HTTP/1.1 \(status) X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            _ = reply.withCString { write(client, $0, strlen($0)) }
            close(client)
            close(fd)
            done.signal()
        }.start()
    }

    /// The request, once it came (waits up to 10 s).
    func request() -> (head: String, body: Data)? {
        _ = done.wait(timeout: .now() + 10)
        return received.withLock { $0 }
    }
}

@Suite("webhook notifier")
struct WebhookNotifierTests {
    @Test func aFailedRunPostsItsReportWithSecretsRedacted() async throws {
        let server = try OneShotHTTPServer()
        var configuration = FlowRunner.Configuration()
        configuration.redactor = Redactor(secrets: ["tok-123456"])
        configuration.notifiers = [WebhookNotifier(url: URL(string: "http://127.0.0.1:\(server.port)/hooks/tok-123456")!)]
        let runner = FlowRunner(store: InMemoryRunStore(), configuration: configuration)
        let run = await runner.run(Flow<NoParameters, Int>("nightly") { _ in throw ParameterError("upstream said tok-123456 is invalid") },
                                   parameters: NoParameters())
        #expect(run.state == .failed)
        let request = try #require(server.request())
        #expect(request.head.hasPrefix("POST /hooks/tok-123456 HTTP/1.1"))
        let json = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
        #expect(json["flow"] as? String == "nightly")
        #expect(json["run_id"] as? String == run.id)
        #expect(json["state"] as? String == "Failed")
        #expect(json["error"] as? String == "upstream said *** is invalid")
    }

    @Test func aFailingEndpointIsLoggedWithoutItsURL() async throws {
        let server = try OneShotHTTPServer(status: 500)
        var configuration = FlowRunner.Configuration()
        configuration.notifiers = [WebhookNotifier(url: URL(string: "http://127.0.0.1:\(server.port)/secret-path")!)]
        let runner = FlowRunner(store: InMemoryRunStore(), configuration: configuration)
        let run = await runner.run(Flow<NoParameters, Int>("nightly") { _ in throw ParameterError("x") }, parameters: NoParameters())
        _ = server.request()
        let logs = try await runner.store.logs(ofFlowRun: run.id).map(\.message)
        #expect(logs.contains("notifier webhook failed: the webhook answered HTTP 500"))
        #expect(!logs.joined().contains("secret-path"))
        #expect(run.state == .failed, "a notifier's failure does not change the run")
    }
}
