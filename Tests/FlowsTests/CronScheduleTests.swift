import Flows
import Foundation
import Testing

/// Cron schedules as a table: expression, zone, start instant, the next fire times (worked out by hand
/// from Vixie cron's rules; `ScheduleReferenceTests` checks many more against croniter).
@Suite("cron schedules")
struct CronScheduleTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var expression: String
        var zone: String
        var after: String
        var expected: [String]
        var testDescription: String { "\"\(expression)\" in \(zone) after \(after)" }
        init(_ expression: String, _ zone: String, _ after: String, _ expected: [String]) {
            (self.expression, self.zone, self.after, self.expected) = (expression, zone, after, expected)
        }
    }

    static let table: [Row] = [
        // syntax: steps, ranges, lists, names, 7 for Sunday, ?
        Row("*/20 * * * *", "UTC", "2026-01-01T00:00:00Z", ["2026-01-01T00:20:00+00:00", "2026-01-01T00:40:00+00:00", "2026-01-01T01:00:00+00:00"]),
        Row("10-50/20 8 * * *", "UTC", "2026-01-01T08:30:00Z", ["2026-01-01T08:50:00+00:00", "2026-01-02T08:10:00+00:00"]),
        Row("0 9 * * mon-fri", "UTC", "2026-01-02T10:00:00Z", ["2026-01-05T09:00:00+00:00", "2026-01-06T09:00:00+00:00"]),
        Row("0 0 * * 7", "UTC", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]),
        Row("0 0 ? DEC,jan *", "UTC", "2026-01-31T00:00:00Z", ["2026-12-01T00:00:00+00:00"]),
        Row("@weekly", "UTC", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00+00:00"]),
        // month ends, leap days, L, #, nL, Vixie's either-day rule
        Row("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"]),
        Row("0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z", ["2104-02-29T00:00:00+00:00"]),   // 2100 is not a leap year
        Row("0 0 31 * *", "UTC", "2026-03-31T00:00:00Z", ["2026-05-31T00:00:00+00:00", "2026-07-31T00:00:00+00:00", "2026-08-31T00:00:00+00:00"]),
        Row("0 0 L * *", "UTC", "2028-01-31T00:00:00Z", ["2028-02-29T00:00:00+00:00", "2028-03-31T00:00:00+00:00", "2028-04-30T00:00:00+00:00"]),
        Row("0 8 * * 5#2", "UTC", "2026-01-01T00:00:00Z", ["2026-01-09T08:00:00+00:00", "2026-02-13T08:00:00+00:00"]),
        Row("0 8 * * 1#5", "UTC", "2026-01-01T00:00:00Z", ["2026-03-30T08:00:00+00:00", "2026-06-29T08:00:00+00:00"]),
        Row("0 8 * * 5L", "UTC", "2026-01-01T00:00:00Z", ["2026-01-30T08:00:00+00:00", "2026-02-27T08:00:00+00:00"]),
        Row("0 8 * * L5", "UTC", "2026-01-01T00:00:00Z", ["2026-01-30T08:00:00+00:00"]),
        Row("0 0 13 * FRI", "UTC", "2026-02-01T00:00:00Z", ["2026-02-06T00:00:00+00:00", "2026-02-13T00:00:00+00:00", "2026-02-20T00:00:00+00:00"]),
        Row("0 0 */10 * 1", "UTC", "2026-01-01T00:00:00Z", ["2026-05-11T00:00:00+00:00"]),   // * first: both must match
        // America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT, 2026-11-01 02:00 EDT -> 01:00 EST
        Row("30 2 * * *", "America/New_York", "2026-03-07T03:00:00-05:00",
            ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
        Row("0,15,30,45 2 * * *", "America/New_York", "2026-03-08T00:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]),
        Row("*/30 2 * * *", "America/New_York", "2026-03-08T00:00:00-05:00", ["2026-03-09T02:00:00-04:00"]),
        Row("0 * * * *", "America/New_York", "2026-03-08T00:00:00-05:00",
            ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"]),
        Row("30 1 * * *", "America/New_York", "2026-11-01T00:00:00-04:00", ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]),
        Row("0 * * * *", "America/New_York", "2026-11-01T00:00:00-04:00",
            ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"]),
        Row("*/20 * * * *", "America/New_York", "2026-11-01T01:30:00-04:00",
            ["2026-11-01T01:40:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T01:20:00-05:00"]),
        // Europe/London and Europe/Berlin: 2026-03-29 and 2026-10-25
        Row("30 1 * * *", "Europe/London", "2026-03-28T12:00:00Z", ["2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"]),
        Row("30 1 * * *", "Europe/London", "2026-10-24T12:00:00Z", ["2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00"]),
        Row("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]),
        Row("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]),
        Row("0 * * * *", "Europe/Berlin", "2026-10-25T01:30:00+02:00",
            ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"]),
        // Australia/Sydney: 2026-04-05 03:00 AEDT -> 02:00 AEST, 2026-10-04 02:00 AEST -> 03:00 AEDT
        Row("30 2 * * *", "Australia/Sydney", "2026-04-04T12:00:00+11:00", ["2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"]),
        Row("30 2 * * *", "Australia/Sydney", "2026-10-03T12:00:00+10:00", ["2026-10-04T03:00:00+11:00", "2026-10-05T02:30:00+11:00"]),
        // Australia/Lord_Howe, a 30-minute shift: 2026-04-05 02:00 -> 01:30, 2026-10-04 02:00 -> 02:30
        Row("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T12:00:00+11:00", ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"]),
        Row("15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00+10:30", ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"]),
        Row("*/15 * * * *", "Australia/Lord_Howe", "2026-10-04T01:40:00+10:30", ["2026-10-04T01:45:00+10:30", "2026-10-04T02:30:00+11:00"]),
        Row("*/15 * * * *", "Australia/Lord_Howe", "2026-04-05T01:40:00+11:00",
            ["2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30", "2026-04-05T01:45:00+10:30", "2026-04-05T02:00:00+10:30"]),
    ]

    @Test(arguments: table)
    func nextFireTimes(_ row: Row) throws {
        let schedule = try CronSchedule(row.expression, timeZone: row.zone)
        let after = try ScheduleTime.parse(row.after, in: schedule.timeZone)
        let fires = schedule.next(row.expected.count, after: after).map { ScheduleTime.format($0, in: schedule.timeZone) }
        #expect(fires == row.expected)
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var expression: String, field: String, token: String, says: String
        var testDescription: String { "\"\(expression)\"" }
    }

    static let errors: [Bad] = [
        Bad(expression: "61 * * * *", field: "minute", token: "61", says: "out of range 0-59"),
        Bad(expression: "0 24 * * *", field: "hour", token: "24", says: "out of range 0-23"),
        Bad(expression: "0 0 0 * *", field: "day of month", token: "0", says: "out of range 1-31"),
        Bad(expression: "0 0 * 13 *", field: "month", token: "13", says: "out of range 1-12"),
        Bad(expression: "0 0 * FOO *", field: "month", token: "FOO", says: "not a number or a name"),
        Bad(expression: "0 0 * * 8", field: "day of week", token: "8", says: "out of range 0-7"),
        Bad(expression: "0 0 * * FUN", field: "day of week", token: "FUN", says: "not a number or a name"),
        Bad(expression: "*/0 * * * *", field: "minute", token: "*/0", says: "step"),
        Bad(expression: "50-10 * * * *", field: "minute", token: "50-10", says: "runs backwards"),
        Bad(expression: "1,,2 * * * *", field: "minute", token: "1,,2", says: "empty item"),
        Bad(expression: "0 0 * * 5#6", field: "day of week", token: "5#6", says: "1-5"),
        Bad(expression: "0 0 15W * *", field: "day of month", token: "15W", says: "nearest weekday"),
        Bad(expression: "0 0 * * L", field: "day of week", token: "L", says: "not supported"),
        Bad(expression: "0 L * * *", field: "hour", token: "L", says: "not supported"),
        Bad(expression: "0 0 * * * *", field: "expression", token: "", says: "6 fields: a seconds field is not supported"),
        Bad(expression: "0 0 12 * * ? 2026", field: "expression", token: "", says: "7 fields"),
        Bad(expression: "0 0 *", field: "expression", token: "", says: "has 3 fields"),
        Bad(expression: "@reboot", field: "expression", token: "@reboot", says: "not a cron shorthand"),
        Bad(expression: "0 0 30 2 *", field: "day of month", token: "30", says: "never"),
        Bad(expression: "0 0 31 4,6,9,11 *", field: "day of month", token: "31", says: "never"),
    ]

    @Test(arguments: errors)
    func badExpressionsNameTheFieldAndToken(_ bad: Bad) {
        #expect {
            _ = try CronSchedule(bad.expression)
        } throws: { error in
            guard let error = error as? ScheduleError else { return false }
            return error.field == bad.field && error.token == bad.token && error.reason.contains(bad.says)
                && "\(error)".contains(bad.expression)
        }
    }

    @Test func anUnknownTimeZoneIsAnError() {
        #expect(throws: ScheduleError(field: "time zone", token: "Mars/Olympus", reason: "is not an IANA time zone (such as UTC or Europe/Berlin)",
                                      expression: "0 0 * * *")) {
            _ = try CronSchedule("0 0 * * *", timeZone: "Mars/Olympus")
        }
    }

    @Test func fireTimesAreStrictlyAfterTheInstant() throws {
        let schedule = try CronSchedule("0 12 * * *")
        let noon = try ScheduleTime.parse("2026-05-01T12:00:00Z", in: schedule.timeZone)
        #expect(schedule.next(after: noon) == noon.addingTimeInterval(86_400))
        #expect(schedule.next(after: noon.addingTimeInterval(-0.5)) == noon)
        #expect(schedule.next(after: noon.addingTimeInterval(-60)) == noon)
    }

    /// An hourly job fires every real hour through a whole year of DST changes; a fixed daily job once
    /// a local day, in every zone of the table.
    @Test(arguments: ["America/New_York", "Europe/London", "Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe"])
    func aYearOfHourlyAndDailyRuns(zone: String) throws {
        let hourly = try CronSchedule("0 * * * *", timeZone: zone)
        let start = try ScheduleTime.parse("2026-01-01T00:00:00", in: hourly.timeZone)
        let hours = hourly.next(24 * 365, after: start)
        let steps = Set(zip(hours, hours.dropFirst()).map { $1.timeIntervalSince($0) })
        // Lord Howe shifts by half an hour, so twice a year 90 real minutes pass between two :00 marks
        // (01:00 -> 02:00 when 02:00 is skipped or never shown); elsewhere every step is one real hour.
        #expect(steps == (zone == "Australia/Lord_Howe" ? [3600, 5400] : [3600]), "\(steps)")
        let daily = try CronSchedule("30 2 * * *", timeZone: zone)
        let days = daily.next(365, after: start)
        let dates = Set(days.map { ScheduleTime.format($0, in: daily.timeZone).prefix(10) })
        #expect(dates.count == 365 && dates.contains("2026-01-01") && dates.contains("2026-12-31"))
        let quarterly = try CronSchedule("*/15 * * * *", timeZone: zone)
        let quarters = quarterly.next(4 * 24 * 365, after: start)
        #expect(Set(zip(quarters, quarters.dropFirst()).map { $1.timeIntervalSince($0) }) == [900])
    }

    @Test func rareDaysAreFoundQuicklyAndNeverIsAnError() throws {
        // The fifth Monday of February happens only in a leap year whose February starts on a Monday.
        let rare = try CronSchedule("0 0 * 2 1#5")
        let clock = ContinuousClock()
        let start = clock.now
        let fires = rare.next(3, after: try ScheduleTime.parse("2026-01-01T00:00:00Z", in: rare.timeZone))
        #expect(fires.map { ScheduleTime.format($0, in: rare.timeZone) } == ["2044-02-29T00:00:00+00:00", "2072-02-29T00:00:00+00:00",
                                                                            "2112-02-29T00:00:00+00:00"])
        #expect(clock.now - start < .seconds(1))
        #expect(rare.next(after: try ScheduleTime.parse("9999-03-01T00:00:00Z", in: rare.timeZone)) == nil)
    }

    @Test func anyInstantIsSafe() throws {
        let schedules: [any Schedule] = [try CronSchedule("* * * * *"), try IntervalSchedule(seconds: 60, anchor: Date(timeIntervalSince1970: 0)),
                                         try RRuleSchedule("DTSTART:20260101T000000Z RRULE:FREQ=MINUTELY")]
        for schedule in schedules {
            #expect(schedule.next(after: .distantFuture) != nil)   // the year 4001
            #expect(schedule.next(after: Date(timeIntervalSince1970: 1e300)) == nil && schedule.next(after: Date(timeIntervalSince1970: .infinity)) == nil)
            #expect(schedule.next(after: .distantPast) != nil)
            #expect(schedule.next(after: Date(timeIntervalSince1970: -.infinity)) != nil)
        }
    }

    @Test func summariesInWords() throws {
        #expect(try CronSchedule("30 2 * * *", timeZone: "Europe/Berlin").summary == "at 02:30 every day, Europe/Berlin")
        #expect(try CronSchedule("@hourly").summary == "every hour at minute 0, UTC")
        #expect(try CronSchedule("*/15 9-17 * * MON-FRI").summary == "every 15 minutes of hour 9 to 17 on Monday to Friday, UTC")
        #expect(try CronSchedule("0 8 * * 5L").summary == "at 08:00 on the last Friday, UTC")
        #expect(try CronSchedule("0 8 * * 5#2").summary == "at 08:00 on the second Friday, UTC")
        #expect(try CronSchedule("0 0 L * *").summary == "at 00:00 on the last day of the month, UTC")
        #expect(try CronSchedule("0 9,18 1 * MON").summary == "at 09:00 and 18:00 on day 1 of the month or on Monday, UTC")
        #expect(try CronSchedule("0 0 1 JAN,jul *").summary == "at 00:00 on day 1 of the month in January and July, UTC")
    }

    @Test func schedulesAreValues() throws {
        let a = try CronSchedule("0 0 * * *", timeZone: "Europe/Berlin")
        let b = try CronSchedule("0 0 * * *", timeZone: "Europe/Berlin")
        let c = try CronSchedule("0 0 * * *", timeZone: "Europe/London")
        #expect(a == b && a != c && Set([a, b, c]).count == 2)
        #expect(a.followsElapsedTime == false)
        #expect(try CronSchedule("*/5 3 * * *").followsElapsedTime && CronSchedule("0 * * * *").followsElapsedTime)
    }
}
