import Foundation

/// When a deployment's runs are due: a rule that gives the fire times after any instant.
///
/// Conformers are value types with no I/O: ``CronSchedule``, ``IntervalSchedule`` and
/// ``RRuleSchedule``. Fire times are instants (`Date`); the schedule's ``timeZone`` gives them their
/// wall-clock meaning, daylight saving time included (see each type for its rule).
public protocol Schedule: Sendable, Hashable, CustomStringConvertible {
    /// The first fire time strictly after `instant`, or nil when there is none (a finished RRULE, or
    /// beyond the year 9999).
    func next(after instant: Date) -> Date?

    /// The zone whose wall clock the schedule follows.
    var timeZone: TimeZone { get }

    /// The schedule in words, with its zone: "at 02:30 every day, Europe/Berlin".
    var summary: String { get }
}

extension Schedule {
    /// The next `count` fire times strictly after `instant`, in order (fewer when the schedule ends).
    public func next(_ count: Int, after instant: Date) -> [Date] {
        var out: [Date] = []
        var cursor = instant
        while out.count < count, let fire = next(after: cursor) {
            out.append(fire)
            cursor = fire
        }
        return out
    }

    /// The fire times in `range` (lower bound excluded, upper included), at most `limit` of them.
    public func fires(in range: ClosedRange<Date>, limit: Int = 10_000) -> [Date] {
        var out: [Date] = []
        var cursor = range.lowerBound
        while out.count < limit, let fire = next(after: cursor), fire <= range.upperBound {
            out.append(fire)
            cursor = fire
        }
        return out
    }

    public var description: String { summary }
}

/// A schedule that cannot be read: the field (`minute`, `day of week`, `BYDAY`, `interval`...) and
/// the token at fault, with the reason. Its description is one line, safe to show and log.
public struct ScheduleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field or part at fault ("minute", "day of month", "time zone", "BYMONTHDAY", "DTSTART"...).
    public var field: String
    /// The offending token as written ("61", "FOO", "0#6"), or empty when the whole text is at fault.
    public var token: String
    /// Why it is refused: "is out of range 0-59".
    public var reason: String
    /// The whole expression, for context.
    public var expression: String

    public init(field: String, token: String, reason: String, expression: String) {
        self.field = field
        self.token = token
        self.reason = reason
        self.expression = expression
    }

    public var description: String {
        let subject = token.isEmpty ? field : "\(field) '\(token)'"
        return "\(subject) \(reason) (in \"\(expression)\")"
    }
}
