import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A one-request HTTP server on 127.0.0.1: records the request body, answers with `status`.
public final class OneShotHTTPServer: Sendable {
    /// The loopback port it listens on.
    public let port: UInt16
    private let socketFD: Int32
    private let received = Mutex<(head: String, body: Data)?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// Listens on a free loopback port; the first request is answered with `status`.
    public init(status: Int = 204) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 1) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
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
    public func request() -> (head: String, body: Data)? {
        _ = done.wait(timeout: .now() + 10)
        return received.withLock { $0 }
    }
}
