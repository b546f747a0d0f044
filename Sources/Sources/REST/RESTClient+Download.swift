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
        var received: URL?
        defer { if let received { try? FileManager.default.removeItem(at: received) } }
        let response = try await retrying(request, authorize: true) { prepared in
            if let earlier = received { try? FileManager.default.removeItem(at: earlier) }
            received = nil
            let (file, response) = try await fetchToFile(prepared)
            received = file
            return response
        }
        guard let received else { throw SluiceError(.io, "GET \(redacted(request.url)): no file was received") }
        let fm = FileManager.default
        try? fm.removeItem(atPath: destination)
        do { try fm.moveItem(at: received, to: URL(fileURLWithPath: destination)) } catch {
            throw SluiceError(.io, "GET \(redacted(request.url)): cannot move the download into place", file: destination)
        }
        return response
    }

    /// One round trip whose body goes to a temporary file; the response's body holds only the start of an
    /// error body (for the message). A body shorter than its `Content-Length` is a lost connection.
    private func fetchToFile(_ request: RESTRequest) async throws -> (URL, RESTResponse) {
        var urlRequest = URLRequest(url: request.url)
        let timeout = configuration.timeout.components
        urlRequest.timeoutInterval = max(1, (Double(timeout.seconds) + Double(timeout.attoseconds) / 1e18).rounded(.up))
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        let (file, response) = try await Self.session.download(for: urlRequest)
        guard let http = response as? HTTPURLResponse else {
            try? FileManager.default.removeItem(at: file)
            throw URLError(.badServerResponse)
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        if headers["content-encoding"] == nil, let length = headers["content-length"].flatMap({ Int($0) }), length != size {
            try? FileManager.default.removeItem(at: file)
            throw URLError(.networkConnectionLost, userInfo: [NSLocalizedDescriptionKey: "the body was cut short (\(size) of \(length) bytes)"])
        }
        var body = Data()
        if !(200...299).contains(http.statusCode), let handle = FileHandle(forReadingAtPath: file.path) {
            body = handle.readData(ofLength: 300)
            try? handle.close()
        }
        var received = RESTResponse(url: request.url, status: http.statusCode, headers: headers, body: body)
        received.hiddenParameters = configuration.auth?.queryParameters ?? []
        return (file, received)
    }
}
