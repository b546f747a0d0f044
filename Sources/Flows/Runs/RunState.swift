/// Where a flow or task run is in its life, with Prefect's names.
///
/// `retrying` is a kind of running, `cached` a kind of completed, `timedOut` a kind of failed,
/// `late` a kind of scheduled. The final states are `completed`, `cached`, `failed`, `timedOut`,
/// `cancelled` and `crashed`.
public enum RunState: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Created with a start time in the future (a schedule); not yet due.
    case scheduled = "Scheduled"
    /// Due but not started within the grace period.
    case late = "Late"
    /// Due and about to start (parameters validated, cache not yet consulted).
    case pending = "Pending"
    case running = "Running"
    /// Failed an attempt and waiting for its retry delay.
    case retrying = "Retrying"
    case completed = "Completed"
    /// Completed by a cached result; the work did not run.
    case cached = "Cached"
    case failed = "Failed"
    /// Failed because it ran past its timeout; the work was cancelled.
    case timedOut = "TimedOut"
    case cancelled = "Cancelled"
    /// The process running it died (or lost its store) before it reached a final state.
    case crashed = "Crashed"

    public var description: String { rawValue }

    /// No transition leaves a final state.
    public var isFinal: Bool {
        switch self {
        case .completed, .cached, .failed, .timedOut, .cancelled, .crashed: true
        case .scheduled, .late, .pending, .running, .retrying: false
        }
    }

    /// Completed, by work or by the cache.
    public var isSuccess: Bool { self == .completed || self == .cached }

    /// Parses a state name case-insensitively (`failed`, `TimedOut`, `timed_out`).
    public init?(name: String) {
        let wanted = name.lowercased().replacingOccurrences(of: "_", with: "")
        guard let match = RunState.allCases.first(where: { $0.rawValue.lowercased() == wanted }) else { return nil }
        self = match
    }
}
