/// Something told when a flow run ends in one of its states (a webhook, a chat message).
public protocol FlowNotifier: Sendable {
    /// A name for logs (never a URL, which may hold a token).
    var name: String { get }
    /// The final states to notify on.
    var states: Set<RunState> { get }
    func notify(_ report: FlowRunReport) async throws
}

extension FlowNotifier {
    public var states: Set<RunState> { [.failed, .timedOut, .crashed] }
}
