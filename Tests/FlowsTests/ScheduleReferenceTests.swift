import Flows
import Foundation
import Testing

/// Our schedules against an independent reference: croniter for cron, python-dateutil for RRULE.
/// `scripts/cron-reference.py` computed `Fixtures/schedule-reference.json`; where Sluice's pinned
/// daylight saving policy differs from the reference on purpose, the case carries the fire times
/// Sluice gives (`sluice`) and the reason (`why`), and the reference must really differ there.
@Suite("schedules against croniter and dateutil")
struct ScheduleReferenceTests {
    struct Fixture: Decodable {
        var reference: String
        var cases: [Case]
    }

    struct Case: Decodable, CustomTestStringConvertible {
        var kind: String
        var expression: String
        var zone: String?
        var after: String
        var reference: [String]
        var sluice: [String]?
        var why: String?
        var testDescription: String { "\(kind) \"\(expression)\" \(zone ?? "") after \(after)" }
    }

    static let cases: [Case] = {
        guard let url = Bundle.module.url(forResource: "schedule-reference", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url), let fixture = try? JSONDecoder().decode(Fixture.self, from: data) else { return [] }
        return fixture.cases
    }()

    @Test func theFixtureIsThere() {
        #expect(Self.cases.count > 80)
        #expect(Self.cases.contains { $0.sluice != nil }, "the DST differences from croniter are listed")
    }

    @Test(arguments: cases)
    func matchesTheReference(_ c: Case) throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        let schedule: any Schedule = c.kind == "cron"
            ? try CronSchedule(c.expression, timeZone: c.zone ?? "UTC")
            : try RRuleSchedule(c.expression)
        let after = try ScheduleTime.parse(c.after, in: utc)
        let ours = schedule.next(max(c.reference.count, c.sluice?.count ?? 0), after: after).map { ScheduleTime.format($0, in: schedule.timeZone) }
        #expect(ours == (c.sluice ?? c.reference), "\(c.why ?? "should match the reference")")
        if c.sluice != nil {
            #expect(c.sluice != c.reference, "listed as a difference, but the reference agrees: drop it from the list")
            #expect(!(c.why ?? "").isEmpty)
        }
    }
}
