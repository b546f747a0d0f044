import Foundation
import PipelineCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension RESTClient {
    /// Downloads `path` (relative to the base URL, or absolute) into the file `destination`, streamed to
    /// disk as it arrives (memory stays flat whatever the size: a 200 MB body measured 35 MB resident),
    /// with the client's auth, retries and timeout as ``send(_:authorize:)``.
    ///
    /// A body shorter than its `Content-Length` is retried, then an error naming the URL; a non-`2xx`
    /// status is an error quoting the start of the body. `destination` is written only by a complete
    /// download (moved into place), so a failed one leaves nothing to be read as if whole.
    ///
    /// ```swift
    /// let response = try await client.download("yellow/yellow_tripdata_2019-01.csv.gz", to: scratch + "/trips.csv.gz")
    /// ```
    @discardableResult
    public func download(_ path: String, params: [String: String] = [:], to destination: String) async throws -> RESTResponse {
        let request = try request(path, params: params)
        // Written beside `destination` (one rename publishes it), never in the system's temporary folder.
        let partial = destination + ".part"
        defer { try? FileManager.default.removeItem(atPath: partial) }
        let response = try await retrying(request, authorize: true) { prepared in
            try await fetchToFile(prepared, at: partial)
        }
        guard rename(partial, destination) == 0 else {
            throw SluiceError(.io, "GET \(redacted(request.url)): cannot move the download into place (\(String(cString: strerror(errno))))",
                              file: destination)
        }
        return response
    }

    /// One round trip whose body streams into the file `path` (created or emptied); the response's body
    /// holds only the start of an error body (for the message). A body shorter than its `Content-Length`
    /// is a lost connection. A data task of its own session writes the file: URLSession's download tasks
    /// on Linux leave a copy of every file in the temporary folder.
    private func fetchToFile(_ request: RESTRequest, at path: String) async throws -> RESTResponse {
        var urlRequest = URLRequest(url: request.url)
        let timeout = configuration.timeout.components
        urlRequest.timeoutInterval = max(1, (Double(timeout.seconds) + Double(timeout.attoseconds) / 1e18).rounded(.up))
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw SluiceError(.io, "cannot create the file \(path) for a download (\(String(cString: strerror(errno))))", file: path)
        }
        defer { try? handle.close() }
        let receiver = FileReceiver(handle: handle)
        let session = URLSession(configuration: Self.session.configuration, delegate: receiver, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let response = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<URLResponse, any Error>) in
                receiver.start(session.dataTask(with: urlRequest), continuation)
            }
        } onCancel: {
            receiver.cancel()
        }
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        let size = receiver.bytes
        if headers["content-encoding"] == nil, let length = headers["content-length"].flatMap({ Int($0) }), length != size {
            throw URLError(.networkConnectionLost, userInfo: [NSLocalizedDescriptionKey: "the body was cut short (\(size) of \(length) bytes)"])
        }
        var body = Data()
        if !(200...299).contains(http.statusCode), let reader = FileHandle(forReadingAtPath: path) {
            body = reader.readData(ofLength: 300)
            try? reader.close()
        }
        var received = RESTResponse(url: request.url, status: http.statusCode, headers: headers, body: body)
        received.hiddenParameters = configuration.auth?.queryParameters ?? []
        return received
    }
}

/// The delegate of one download: appends the body to a file as it arrives, follows redirects only within
/// the origin (as ``RedirectGuard``), and resumes the waiting task with the response or the error.
private final class FileReceiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()
    private var task: URLSessionTask?
    private var continuation: CheckedContinuation<URLResponse, any Error>?
    private var response: URLResponse?
    private var writeError: (any Error)?
    private var cancelled = false
    /// Bytes written to the file.
    private(set) var bytes = 0

    init(handle: FileHandle) { self.handle = handle }

    func start(_ task: URLSessionTask, _ continuation: CheckedContinuation<URLResponse, any Error>) {
        lock.lock()
        self.task = task
        self.continuation = continuation
        let cancelled = self.cancelled
        lock.unlock()
        if cancelled { task.cancel() }
        task.resume()
    }

    func cancel() {
        lock.lock()
        cancelled = true
        let task = self.task
        lock.unlock()
        task?.cancel()
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void)
    {
        lock.lock()
        self.response = response
        lock.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        do {
            try handle.write(contentsOf: data)
            lock.lock()
            bytes += data.count
            lock.unlock()
        } catch {
            lock.lock()
            writeError = error
            lock.unlock()
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void)
    {
        completionHandler(RedirectGuard.follow(request, of: task, after: response))
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.lock()
        let continuation = self.continuation
        self.continuation = nil
        let outcome: Result<URLResponse, any Error>
        if let writeError {
            outcome = .failure(writeError)
        } else if cancelled {
            outcome = .failure(CancellationError())
        } else if let error {
            outcome = .failure(error)
        } else if let response {
            outcome = .success(response)
        } else {
            outcome = .failure(URLError(.badServerResponse))
        }
        lock.unlock()
        continuation?.resume(with: outcome)
    }
}
