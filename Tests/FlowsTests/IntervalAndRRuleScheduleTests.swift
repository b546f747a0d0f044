import Flows
import Foundation
import Testing

/// Interval schedules (Prefect's rule across DST) and RRULE schedules (parsing, bounds, errors).
@Suite("interval and rrule schedules")
struct IntervalAndRRuleScheduleTests {
    func times(_ schedule: some Schedule, _ count: Int, after: String) throws -> [String] {
        schedule.next(count, after: try ScheduleTime.parse(after, in: schedule.timeZone)).map { ScheduleTime.format($0, in: schedule.timeZone) }
    }

    @Test func anHourlyIntervalIsElapsedTimeThroughFallBack() throws {
        let zone = try ScheduleTime.zone("America/New_York")
        let hourly = try IntervalSchedule(seconds: 3600, anchor: try ScheduleTime.parse("2026-01-01T00:00:00", in: zone), timeZone: zone)
        #expect(try times(hourly, 3, after: "2026-11-01T00:30:00-04:00")
                == ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"])
        #expect(try times(hourly, 2, after: "2026-03-08T01:30:00-05:00") == ["2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"])
    }

    @Test func aDailyIntervalKeepsItsClockTimeThroughBothChanges() throws {
        let zone = try ScheduleTime.zone("America/New_York")
        let daily = try IntervalSchedule(seconds: 86_400, anchor: try ScheduleTime.parse("2026-01-01T09:00:00", in: zone), timeZone: zone)
        #expect(try times(daily, 3, after: "2026-03-07T10:00:00-05:00")
                == ["2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00", "2026-03-10T09:00:00-04:00"])
        #expect(try times(daily, 2, after: "2026-10-31T10:00:00-04:00") == ["2026-11-01T09:00:00-05:00", "2026-11-02T09:00:00-05:00"])
        // A skipped wall time fires at the jump, and the next day is back at 02:30: no drift.
        let early = try IntervalSchedule(seconds: 86_400, anchor: try ScheduleTime.parse("2026-01-01T02:30:00", in: zone), timeZone: zone)
        #expect(try times(early, 2, after: "2026-03-07T12:00:00-05:00") == ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"])
        // 36 hours: a calendar day and 12 elapsed hours each step.
        let halfDays = try IntervalSchedule(seconds: 36 * 3600, anchor: try ScheduleTime.parse("2026-03-06T09:00:00", in: zone), timeZone: zone)
        #expect(try times(halfDays, 3, after: "2026-03-06T09:00:00-05:00")
                == ["2026-03-07T21:00:00-05:00", "2026-03-09T09:00:00-04:00", "2026-03-10T21:00:00-04:00"])
    }

    @Test func intervalsCountFromTheAnchorBothWays() throws {
        let utc = try ScheduleTime.zone("UTC")
        let every90 = try IntervalSchedule(seconds: 90 * 60, anchor: try ScheduleTime.parse("2026-06-01T12:00:00Z", in: utc))
        #expect(try times(every90, 3, after: "2026-06-01T08:00:00Z") == ["2026-06-01T09:00:00+00:00", "2026-06-01T10:30:00+00:00",
                                                                        "2026-06-01T12:00:00+00:00"])
        #expect(every90.summary == "every 1 hour 30 minutes from 2026-06-01T12:00:00+00:00, UTC")
        #expect(throws: ScheduleError.self) { _ = try IntervalSchedule(seconds: 0, anchor: Date()) }
    }

    @Test func rrulesEndWithCountAndUntil() throws {
        let counted = try RRuleSchedule("DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=3")
        #expect(try times(counted, 5, after: "2026-01-01T00:00:00Z")
                == ["2026-01-05T09:00:00+01:00", "2026-01-08T09:00:00+01:00", "2026-01-12T09:00:00+01:00"])
        #expect(try times(counted, 5, after: "2026-01-06T00:00:00Z") == ["2026-01-08T09:00:00+01:00", "2026-01-12T09:00:00+01:00"])
        let until = try RRuleSchedule("DTSTART:20260101T060000Z RRULE:FREQ=DAILY;UNTIL=20260103T060000Z")
        #expect(try times(until, 5, after: "2025-12-01T00:00:00Z")
                == ["2026-01-01T06:00:00+00:00", "2026-01-02T06:00:00+00:00", "2026-01-03T06:00:00+00:00"])
        #expect(counted.summary == "every week on Monday and Thursday at 09:00, from 2026-01-05T09:00:00+01:00, 3 times, Europe/Berlin")
    }

    @Test func aFloatingStartIsReadInTheGivenZone() throws {
        let zone = try ScheduleTime.zone("Asia/Tokyo")
        let rule = try RRuleSchedule("DTSTART:20260101T090000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=1,-1", timeZone: zone)
        #expect(try times(rule, 3, after: "2026-01-01T00:00:00Z")
                == ["2026-01-31T09:00:00+09:00", "2026-02-01T09:00:00+09:00", "2026-02-28T09:00:00+09:00"])
        #expect(rule.summary == "every month on day 1 and the last day of the month at 09:00, from 2026-01-01T09:00:00+09:00, Asia/Tokyo")
    }

    @Test(arguments: [
        ("DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;FOO=1", "FOO", "not an RRULE part"),
        ("DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;BYSECOND=5", "BYSECOND", "not supported"),
        ("DTSTART:20260101T090000Z\nRRULE:FREQ=SECONDLY", "FREQ", "not MINUTELY"),
        ("DTSTART:20260101T090000Z\nRRULE:INTERVAL=2", "FREQ", "missing"),
        ("RRULE:FREQ=DAILY", "DTSTART", "missing"),
        ("DTSTART;TZID=Mars/Olympus:20260101T090000\nRRULE:FREQ=DAILY", "time zone", "not an IANA time zone"),
        ("DTSTART:2026-01-01\nRRULE:FREQ=DAILY", "DTSTART", "not a date-time"),
        ("DTSTART:20260101T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=1MO", "BYDAY", "only FREQ=MONTHLY or FREQ=YEARLY"),
        ("DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYDAY=XX", "BYDAY", "not a weekday"),
        ("DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY", "not 0"),
        ("DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;BYHOUR=24", "BYHOUR", "0...23"),
        ("DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;COUNT=2;UNTIL=20260301T000000Z", "COUNT", "UNTIL"),
        ("DTSTART:20260101T090000Z\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "RRULE", "never has an occurrence"),
        ("DTSTART:20260101T090000Z\nEXDATE:20260102T090000Z\nRRULE:FREQ=DAILY", "EXDATE", "not supported"),
    ])
    func badRulesNameThePart(text: String, field: String, says: String) {
        #expect {
            _ = try RRuleSchedule(text)
        } throws: { error in
            guard let error = error as? ScheduleError else { return false }
            return error.field == field && error.reason.contains(says)
        }
    }

    @Test func aSkippedWallTimeIsNotRepeatedForMinutelyRules() throws {
        // Every 10 minutes from 01:30 on spring-forward day: 02:00-02:50 are skipped and fire once, at the
        // jump, which is also 03:00's instant; COUNT counts fire times.
        let rule = try RRuleSchedule("DTSTART;TZID=America/New_York:20260308T013000\nRRULE:FREQ=MINUTELY;INTERVAL=10;COUNT=6")
        #expect(try times(rule, 6, after: "2026-03-08T00:00:00-05:00")
                == ["2026-03-08T01:30:00-05:00", "2026-03-08T01:40:00-05:00", "2026-03-08T01:50:00-05:00", "2026-03-08T03:00:00-04:00",
                    "2026-03-08T03:10:00-04:00", "2026-03-08T03:20:00-04:00"])
    }
}
