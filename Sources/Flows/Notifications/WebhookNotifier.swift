import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Posts a JSON report of a finished flow run to a URL (Slack-compatible relays, Teams, PagerDuty
/// Events, a custom endpoint): `{"flow", "run_id", "state", "error", "started_at", "ended_at"}`.
///
/// Configured in `sluice.toml` under `[notifications.webhook]`; its URL usually holds a token, so
/// it is treated as a secret and never logged.
public struct WebhookNotifier: FlowNotifier {
    public let name = "webhook"
    public var url: URL
    public var states: Set<RunState>
    /// How long to wait for the endpoint.
    public var timeout: Duration

    public init(url: URL, states: Set<RunState> = [.failed, .timedOut, .crashed], timeout: Duration = .seconds(10)) {
        self.url = url
        self.states = states
        self.timeout = timeout
    }

    public func notify(_ report: FlowRunReport) async throws {
        var request = URLRequest(url: url, timeoutInterval: timeout.seconds)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        request.httpBody = try encoder.encode(report)
        let (_, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse, (200..<300).contains(http.statusCode) else {
            throw WebhookError(status: (response as? HTTPURLResponse)?.statusCode)
        }
    }
}

/// The endpoint answered with something else than 2xx.
public struct WebhookError: Error, Sendable, CustomStringConvertible {
    public let status: Int?
    public var description: String { "the webhook answered HTTP \(status.map(String.init) ?? "?")" }
}
