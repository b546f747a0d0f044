import ArgumentParser
import Flows
import Foundation
import PipelineCore

/// `sluice cron next`: the next fire times of a schedule, to check it before deploying.
struct CronCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron", abstract: "Check schedules: the next fire times of a cron expression or an RRULE.",
        subcommands: [CronNextCommand.self])
}

struct CronNextCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Print the next fire times of a cron expression (or an RRULE) in a time zone, with their UTC offsets.",
        discussion: """
            Examples:
              sluice cron next "30 2 * * *" --tz America/New_York --after 2026-03-07T12:00:00-05:00
              sluice cron next "0 9 * * MON-FRI" --tz Europe/Berlin --count 3 --json
              sluice cron next --rrule "DTSTART;TZID=Europe/Berlin:20260105T090000 RRULE:FREQ=MONTHLY;BYDAY=-1FR"
            See docs/scheduling.md for the syntax and the daylight saving time rules.
            """)

    @Argument(help: "A 5-field cron expression (quote it), or @hourly, @daily, @weekly, @monthly, @yearly.")
    var expression: String?

    @Option(help: "An RRULE (RFC 5545), with its DTSTART: \"DTSTART;TZID=Europe/Berlin:20260105T090000 RRULE:FREQ=WEEKLY\".")
    var rrule: String?

    @Option(name: .customLong("tz"), help: "The IANA time zone of the schedule (an RRULE's TZID wins).")
    var timeZone = "UTC"

    @Option(help: "Fire times strictly after this ISO 8601 time (with an offset, or a wall time in --tz) (default: now).")
    var after: String?

    @Option(help: "How many fire times.")
    var count = 5

    @Flag(help: "Print a JSON array of ISO 8601 strings with their UTC offsets.")
    var json = false

    func validate() throws {
        guard (expression == nil) != (rrule == nil) else { throw ValidationError("give either a cron expression or --rrule, not both or neither") }
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be 1-10000") }
    }

    func run() async throws {
        try await reportingErrors {
            do {
                let zone = try ScheduleTime.zone(timeZone)
                let schedule: any Schedule = if let rrule {
                    try RRuleSchedule(rrule, timeZone: timeZone == "UTC" ? nil : zone)
                } else {
                    try CronSchedule(expression ?? "", timeZone: zone)
                }
                let start = try after.map { try ScheduleTime.parse($0, in: zone, field: "--after") } ?? Date()
                let fires = schedule.next(count, after: start).map { ScheduleTime.format($0, in: schedule.timeZone) }
                if json {
                    let data = try JSONSerialization.data(withJSONObject: fires, options: [.withoutEscapingSlashes])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(schedule.summary)
                    for fire in fires { print(fire) }
                    if fires.count < count { print("(the schedule ends after \(fires.count) more)") }
                }
            } catch let error as ScheduleError {
                throw SluiceError(.configuration, "\(rrule == nil ? "cron expression" : "rrule"): \(error)")
            }
        }
    }
}
