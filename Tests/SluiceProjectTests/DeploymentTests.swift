import DatabaseClients
import Flows
import Foundation
import PipelineCore
import SluiceProject
import SluiceTesting
import Testing

/// Deployments from sluice.toml, and scheduled runs as a CI job makes them: a fresh machine each time.
@Suite("deployments")
struct DeploymentTests {
    /// A project whose `events` pipeline appends two rows per run into a SQLite file, deployed every 6 hours.
    struct CIProject {
        let dir = try! TemporaryDirectory.make("deploy")

        init(deployment: String = "", catchup: String = "latest") throws {
            try "{\"id\":1}\n{\"id\":2}\n".write(toFile: dir + "/events.jsonl", atomically: true, encoding: .utf8)
            let toml = """
                [destination.sqlite]
                path = "\(dir)/{pipeline}.sqlite"

                [pipelines.events]
                source = "files"

                [pipelines.events.tables.events]
                path = "\(dir)/events.jsonl"

                [pipelines.events.flow]
                retries = []

                [deployments.every6h]
                flow = "events"
                schedules = [{ cron = "0 */6 * * *" }]
                catchup = "\(catchup)"
                late_after = 3600
                \(deployment)
                """
            try toml.write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        }

        /// The project as a fresh CI machine sees it: the repository, and an empty working directory.
        func freshMachine() throws -> Project {
            var configuration = Project.Configuration(folder: dir)
            configuration.workingDirectory = try TemporaryDirectory.make("ci-machine") + "/.sluice"
            configuration.environment = [:]
            return try Project.load(configuration)
        }

        func runDue(at time: String) async throws -> [DeploymentRunner.Outcome] {
            let project = try freshMachine()
            let now = try date(time)
            // The runner's wall clock is the job's: slots are never in its future.
            var configuration = FlowRunner.Configuration()
            configuration.now = { now }
            let runner = FlowRunner(store: InMemoryRunStore(), configuration: configuration)
            return try await DeploymentRunner(project: project, runner: runner).runDue(now: now)
        }

        func rows() throws -> Int {
            let db = try SQLiteConnection(path: dir + "/events.sqlite")
            return Int(try db.query("SELECT count(*) FROM events").first?[0] ?? "0") ?? 0
        }
    }

    static func date(_ text: String) throws -> Date {
        try #require(Deployment.slot(from: text))
    }

    func ran(_ outcomes: [DeploymentRunner.Outcome]) -> [String] {
        outcomes.filter { $0.kind == .ran }.compactMap { $0.slot.map(Deployment.slotText) }
    }

    @Test func aCIJobOnFreshMachinesRunsEverySlotOnceAcrossADay() async throws {
        let ci = try CIProject()
        // First job ever: 00:05, the 00:00 slot is on time.
        #expect(ran(try await ci.runDue(at: "2026-11-30T00:05:00Z")) == ["2026-11-30T00:00:00Z"])
        // 15 minutes later, nothing is due.
        #expect(ran(try await ci.runDue(at: "2026-11-30T00:20:00Z")) == [])
        // 06:10 twice (a re-run of the job): the second finds the slot claimed in the destination.
        #expect(ran(try await ci.runDue(at: "2026-11-30T06:10:00Z")) == ["2026-11-30T06:00:00Z"])
        #expect(ran(try await ci.runDue(at: "2026-11-30T06:10:00Z")) == [])
        // The CI was down from 06:10 to 19:30: 12:00 is missed (recorded Late), 18:00 runs as the catch-up.
        let late = try await ci.runDue(at: "2026-11-30T19:30:00Z")
        #expect(ran(late) == ["2026-11-30T18:00:00Z"])
        #expect(late.filter { $0.kind == .missed }.compactMap { $0.slot.map(Deployment.slotText) } == ["2026-11-30T12:00:00Z"])
        #expect(ran(try await ci.runDue(at: "2026-12-01T00:00:00Z")) == ["2026-12-01T00:00:00Z"])
        // Four slots ran, two rows each: nothing loaded twice.
        #expect(try ci.rows() == 8)
    }

    @Test func twoJobsAtTheSameTimeRunTheSlotOnce() async throws {
        let ci = try CIProject()
        _ = try await ci.runDue(at: "2026-11-30T00:05:00Z")
        async let a = ci.runDue(at: "2026-11-30T06:01:00Z")
        async let b = ci.runDue(at: "2026-11-30T06:01:00Z")
        let (first, second) = try await (a, b)
        let both = first + second
        let completed = both.filter { $0.kind == .ran && $0.state == .completed }.count
        let failed = both.filter(\.failed).map { $0.error ?? "?" }
        #expect(completed == 1, "\(both.map(\.kind))")
        #expect(failed == [])
        #expect(try ci.rows() == 4)
    }

    @Test func catchupAllRunsEveryMissedSlotAndNoneRunsNone() async throws {
        let all = try CIProject(catchup: "all")
        _ = try await all.runDue(at: "2026-11-30T00:05:00Z")
        #expect(ran(try await all.runDue(at: "2026-11-30T18:30:00Z")) == ["2026-11-30T06:00:00Z", "2026-11-30T12:00:00Z", "2026-11-30T18:00:00Z"])
        let none = try CIProject(catchup: "none")
        _ = try await none.runDue(at: "2026-11-30T00:05:00Z")
        let outcomes = try await none.runDue(at: "2026-11-30T19:30:00Z")
        #expect(ran(outcomes) == [])
        #expect(outcomes.filter { $0.kind == .missed }.count == 3)  // 06:00, 12:00 and 18:00
        // The missed slots were claimed without rows: the next job does not see them again.
        #expect(try await none.runDue(at: "2026-11-30T19:45:00Z").isEmpty)
        #expect(try none.rows() == 2)
    }

    @Test func aPausedDeploymentRunsNothing() async throws {
        let ci = try CIProject(deployment: "paused = true")
        let outcomes = try await ci.runDue(at: "2026-11-30T00:05:00Z")
        #expect(outcomes.map(\.kind) == [.paused])
    }

    @Test(arguments: [
        ("schedules = [{ cron = \"0 0 * * * *\" }]", "schedules[0]"),
        ("schedules = [{ cron = \"61 * * * *\" }]", "minute"),
        ("schedules = [{ cron = \"0 2 * * *\", timezone = \"Mars/Olympus\" }]", "Mars/Olympus"),
        ("schedules = [{ cron = \"0 2 * * *\", interval = 60 }]", "exactly one of cron, interval or rrule"),
        ("schedules = [{ crn = \"0 2 * * *\" }]", "crn"),
        ("catchup = \"some\"", "catchup"),
        ("late_after = \"1h\"", "late_after"),
        ("late_after = 1e300", "late_after"),
        ("late_after = inf", "late_after"),
        ("schedules = [{ interval = 9223372036854775807 }]", "interval"),
        ("schedules = [{ interval = 1.5 }]", "interval"),
    ])
    func badDeploymentsAreErrorsNamingTheKey(line: String, named: String) throws {
        let ci = try CIProject(deployment: "")
        let toml = try String(contentsOfFile: ci.dir + "/sluice.toml", encoding: .utf8)
            .replacingOccurrences(of: "schedules = [{ cron = \"0 */6 * * *\" }]", with: line.hasPrefix("schedules") ? line : "schedules = [{ cron = \"0 */6 * * *\" }]\n" + line)
        try toml.write(toFile: ci.dir + "/sluice.toml", atomically: true, encoding: .utf8)
        do {
            _ = try ci.freshMachine().deployments()
            Issue.record("accepted: \(line)")
        } catch {
            #expect("\(error)".contains(named), "\(error)")
            #expect("\(error)".contains("sluice.toml"), "\(error)")
        }
    }

    @Test func everyProblemOfEveryDeploymentIsListedAtOnce() throws {
        let ci = try CIProject()
        var toml = try String(contentsOfFile: ci.dir + "/sluice.toml", encoding: .utf8)
            .replacingOccurrences(of: "flow = \"events\"", with: "flow = \"evnets\"")
            .replacingOccurrences(of: "schedules = [{ cron = \"0 */6 * * *\" }]",
                                  with: "schedules = [{ cron = \"0 25 * * *\" }, { interval = 0 }, { cron = \"0 2 * * *\", timezone = \"GMT+5\" }]")
        toml += "\n[deployments.second]\nflow = \"events\"\nschedules = [{ rrule = \"RRULE:FREQ=DAILY\" }]\nparameters = { ful_refresh = true }\n"
        try toml.write(toFile: ci.dir + "/sluice.toml", atomically: true, encoding: .utf8)
        let problems = try ci.freshMachine().deploymentProblems().map(\.message)
        let expected = ["flow: no flow 'evnets'", "schedules[0]", "schedules[1].interval", "schedules[2]: time zone 'GMT+5'",
                        "[deployments.second] schedules[0]", "[deployments.second] parameters"]
        #expect(problems.count == expected.count, "\(problems)")
        for part in expected { #expect(problems.contains { $0.contains(part) }, "\(part) in \(problems)") }
        do {
            _ = try ci.freshMachine().deployments()
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("and 5 more; `sluice check` lists them all"), "\(error)")
        }
    }

    @Test func anUnknownFlowIsAnErrorListingTheFlows() throws {
        let ci = try CIProject()
        let toml = try String(contentsOfFile: ci.dir + "/sluice.toml", encoding: .utf8).replacingOccurrences(of: "flow = \"events\"", with: "flow = \"evnets\"")
        try toml.write(toFile: ci.dir + "/sluice.toml", atomically: true, encoding: .utf8)
        #expect(throws: SluiceError.self) { try ci.freshMachine().deployments() }
        do { _ = try ci.freshMachine().deployments() } catch { #expect("\(error)".contains("flows: events")) }
    }

    /// Found by a new user: a deployment whose runs refresh the pipeline kept dropping the other deployments' slots.
    @Test func aFullRefreshKeepsTheOtherDeploymentsSlots() async throws {
        let ci = try CIProject(deployment: """

            [deployments.weekly_refresh]
            flow = "events"
            schedules = [{ cron = "0 3 * * 0" }]
            parameters = { full_refresh = true }
            """)
        _ = try await ci.runDue(at: "2026-11-29T00:05:00Z")   // a Sunday: every6h runs 00:00
        let refreshed = try await ci.runDue(at: "2026-11-29T03:10:00Z")
        #expect(ran(refreshed) == ["2026-11-29T03:00:00Z"])
        // every6h's 00:00 slot is still recorded: the next job does not run it again.
        #expect(ran(try await ci.runDue(at: "2026-11-29T03:20:00Z")) == [])
        #expect(try ci.rows() == 2)
    }

    @Test func anUnknownDeploymentNamedForDueRunsIsAnError() async throws {
        let ci = try CIProject()
        let project = try ci.freshMachine()
        await #expect(throws: SluiceError.self) {
            _ = try await DeploymentRunner(project: project, runner: FlowRunner(store: InMemoryRunStore())).runDue(only: "every6", now: Date())
        }
    }

    /// Found by the break-it trial: a new deployment ran every slot of the last hour.
    @Test func aNewDeploymentRunsOnlyItsCurrentSlot() async throws {
        let ci = try CIProject()
        let toml = try String(contentsOfFile: ci.dir + "/sluice.toml", encoding: .utf8)
            .replacingOccurrences(of: "0 */6 * * *", with: "*/10 * * * *")
        try toml.write(toFile: ci.dir + "/sluice.toml", atomically: true, encoding: .utf8)
        #expect(ran(try await ci.runDue(at: "2026-11-30T00:05:00Z")) == ["2026-11-30T00:00:00Z"])
        #expect(ran(try await ci.runDue(at: "2026-11-30T00:25:00Z")) == ["2026-11-30T00:10:00Z", "2026-11-30T00:20:00Z"])
        #expect(try ci.rows() == 6)
    }
}
