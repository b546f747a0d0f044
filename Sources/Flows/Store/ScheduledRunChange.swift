import Foundation

/// What becomes of a run created ahead of time (``RunStore/schedule(_:)``) that is still Scheduled and
/// taken by no process: the only moves a scheduler makes on such a run, each made by at most one process.
public enum ScheduledRunChange: Sendable, Equatable {
    /// This process runs it: the run records `host` and `pid` (so a crash is told from a live run) and stays
    /// Scheduled until ``FlowRunner`` moves it on.
    case start(host: String, pid: Int32)
    /// Its slot was missed and it will not run: Late, for good, with `message`. It keeps its key (the slot is handled).
    case miss(at: Date, message: String)
    /// It was due while the deployment's previous run still ran and its policy skips: Cancelled with
    /// `message`. It keeps its key (the slot is handled).
    case skip(at: Date, message: String)
    /// Its schedule was removed or changed, or its deployment paused or removed: Cancelled with `message`,
    /// and its key is released, so a schedule that comes back makes the slot's run anew.
    case withdraw(at: Date, message: String)

    /// The state the run enters with its message, if the change moves it.
    var transition: (state: RunState, at: Date, message: String)? {
        switch self {
        case .start: nil
        case .miss(let at, let message): (.late, at, message)
        case .skip(let at, let message), .withdraw(let at, let message): (.cancelled, at, message)
        }
    }
}
