import Foundation
import Testing

/// `sluice cron next`: what a user runs to check a schedule before deploying it.
@Suite("sluice cron next")
struct CronCLITests {
    let cli = CLITests()

    @Test func printsTheNextFireTimesWithTheirOffsets() async throws {
        let dir = try cli.scratch()
        let result = try await cli.sluice(["cron", "next", "30 2 * * *", "--tz", "America/New_York",
                                           "--after", "2026-03-07T12:00:00-05:00", "--count", "3"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output == """
            at 02:30 every day, America/New_York
            2026-03-08T03:00:00-04:00
            2026-03-09T02:30:00-04:00
            2026-03-10T02:30:00-04:00

            """)
    }

    @Test func jsonIsAnArrayOfISO8601Strings() async throws {
        let dir = try cli.scratch()
        let result = try await cli.sluice(["cron", "next", "0 * * * *", "--tz", "America/New_York",
                                           "--after", "2026-11-01T00:30:00-04:00", "--count", "3", "--json"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        let array = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String]
        #expect(array == ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"])
    }

    @Test func aWallTimeAfterIsReadInTheZoneAndTheDefaultsAreFiveInUTC() async throws {
        let dir = try cli.scratch()
        let local = try await cli.sluice(["cron", "next", "@daily", "--tz", "Europe/Berlin", "--after", "2026-06-01T00:00", "--json"], in: dir)
        let times = try JSONSerialization.jsonObject(with: Data(local.output.utf8)) as? [String]
        #expect(times?.first == "2026-06-02T00:00:00+02:00" && times?.count == 5, "\(local.output)")
        let now = try await cli.sluice(["cron", "next", "*/5 * * * *", "--json"], in: dir)
        let fires = try JSONSerialization.jsonObject(with: Data(now.output.utf8)) as? [String] ?? []
        #expect(fires.count == 5 && fires.allSatisfy { $0.hasSuffix("+00:00") }, "\(now.output)")
    }

    @Test(arguments: [
        (["61 * * * *"], "minute '61' is out of range 0-59"),
        (["0 0 * * FUN"], "day of week 'FUN'"),
        (["0 0 * * * *"], "6 fields: a seconds field is not supported"),
        (["0 0 30 2 *"], "never falls on a date"),
        (["0 0 * * *", "--tz", "Mars/Olympus"], "time zone 'Mars/Olympus' is not an IANA time zone"),
        (["0 0 * * *", "--tz", "GMT+5"], "write a zone such as Etc/GMT-5 (UTC+5)"),
        (["0 0 * * *", "--after", "yesterday"], "--after 'yesterday' is not an ISO 8601 time"),
        (["--rrule", "DTSTART:20260101T090000Z RRULE:FREQ=DAILY;BYWHAT=1"], "BYWHAT"),
    ])
    func aBadScheduleExitsNonZeroNamingTheField(arguments: [String], message: String) async throws {
        let dir = try cli.scratch()
        let result = try await cli.sluice(["cron", "next"] + arguments, in: dir)
        #expect(result.status != 0)
        #expect(result.output.contains(message), "\(result.output)")
    }

    @Test func anRRuleToo() async throws {
        let dir = try cli.scratch()
        let result = try await cli.sluice(["cron", "next", "--rrule", "DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=2",
                                           "--after", "2026-01-01T00:00:00Z"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output == """
            every month on the last Friday at 09:00, from 2026-01-05T09:00:00+01:00, 2 times, Europe/Berlin
            2026-01-30T09:00:00+01:00
            2026-02-27T09:00:00+01:00
            (the schedule ends after 2 more)

            """)
    }
}
