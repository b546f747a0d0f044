import ArgumentParser
import Flows
import Foundation
import PipelineCore
import SluiceProject

/// `sluice deployment ls|run|pause|resume`: the deployments of sluice.toml.
struct DeploymentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployment", abstract: "List, run, pause and resume the deployments of sluice.toml ([deployments.<name>]).",
        subcommands: [DeploymentListCommand.self, DeploymentRunCommand.self, DeploymentPauseCommand.self, DeploymentResumeCommand.self])
}

struct DeploymentListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "Each deployment: its flow, schedules in words, next three runs and last run.")

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reportingErrors {
            let project = try global.project()
            let deployments = try project.deployments()
            let paused = try DeploymentPauses(workingDirectory: global.workingDirectory).read()
            let store = try PipelineFlows.openStore(project)
            defer { store.close() }
            let now = Date()
            let runner = FlowRunner(store: store)
            var entries: [[String: Any]] = []
            var lines: [String] = []
            for d in deployments {
                let last = try await store.runs(RunQuery(kind: .flow, tag: d.tag, limit: 1)).first
                let next = d.paused || paused.contains(d.name) ? [] : SlotPlan.upcoming(d.activeSchedules, after: now, count: 3)
                // In the zone of its first schedule, as `sluice cron next` prints them.
                let zone = d.activeSchedules.first?.timeZone ?? TimeZone(identifier: "UTC")!
                let local = { (date: Date) in ScheduleTime.format(date, in: zone) }
                // The last slot handled, as the destination records it (what a fresh machine goes by).
                var lastSlot: Date??
                var unreadable = ""
                do { lastSlot = .some(try await DeploymentRunner(project: project, runner: runner).lastSlot(d)) } catch {
                    unreadable = " (\(error))"
                }
                let status = d.paused ? "paused in sluice.toml" : paused.contains(d.name) ? "paused" : "active"
                entries.append([
                    "name": d.name, "flow": d.flow, "status": status,
                    "schedules": d.schedules.map { ["schedule": $0.schedule.summary, "active": $0.active] as [String: Any] },
                    "next_runs": next.map(local), "last_run": last.map { ["id": $0.id, "state": $0.state.rawValue] } as Any,
                    "last_slot": (lastSlot ?? nil).map(local) as Any,
                ])
                lines.append("\(d.name)  flow \(d.flow), \(status)\(d.description.map { ": \($0)" } ?? "")")
                for s in d.schedules { lines.append("  schedule: \(s.schedule.summary)\(s.active ? "" : " (inactive)")") }
                lines.append("  next: " + (next.isEmpty ? "none" : next.map(local).joined(separator: ", ")))
                lines.append("  last slot handled: " + ((lastSlot ?? nil).map(local) ?? (lastSlot == nil ? "unknown, the destination cannot be read" + unreadable : "none")))
                lines.append("  last run here: " + (last.map { "\($0.state) (\(String($0.id.prefix(8))), \(RunFormatting.time($0.startedAt ?? $0.createdAt)))" } ?? "none"))
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(deployments.isEmpty ? "no deployments in \(project.config.path) (add [deployments.<name>])" : lines.joined(separator: "\n"))
            }
        }
    }
}

struct DeploymentRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a deployment now, or every deployment slot that came due (--due), in the foreground.",
        discussion: """
            With --due, each deployment runs the slots of its schedules that came since the last slot it handled, as \
            the pipeline state in the destination records it, so a scheduled CI job on a fresh machine neither misses \
            nor repeats a slot. Exits non-zero when a run fails. Example (every 15 minutes in CI): sluice deployment run --due
            """)

    @Argument(help: "The deployment (with --due: only this one).")
    var name: String?

    @Flag(help: "Run the slots that came due since the last one handled, instead of one run now.")
    var due = false

    @Option(help: "With --due: plan and record as if it were this time, ISO 8601 (default: now). For trying a schedule out.")
    var at: String?

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.bootstrap()
        try await reportingErrors {
            guard due || name != nil else { throw ValidationError("name a deployment, or give --due to run every due slot") }
            let project = try global.project()
            let store = try PipelineFlows.openStore(project)
            defer { store.close() }
            var runner = try PipelineFlows.runner(store: store, project: project, level: global.verbose ? .debug : .info,
                                                  echo: { label, redactor in ConsoleLogHandler(label: label, redactor: redactor) })
            var now = Date()
            if let at {
                guard due else { throw ValidationError("--at goes with --due") }
                guard let parsed = RunFormatting.parseISO(at) else { throw ValidationError("--at: expected an ISO 8601 time such as 2026-11-30T02:00:00Z") }
                // As if it were that time: plans, and the run history, use it (a run never waits for its slot).
                now = parsed
                let offset = parsed.timeIntervalSinceNow
                runner.configuration.now = { Date().addingTimeInterval(offset) }
            }
            _ = try await runner.maintain(retention: PipelineFlows.retention(project.config))
            var deployments = DeploymentRunner(project: project, runner: runner)
            deployments.pausedByCommand = try DeploymentPauses(workingDirectory: global.workingDirectory).read()
            let outcomes: [DeploymentRunner.Outcome]
            if due {
                outcomes = try await deployments.runDue(only: name, now: now)
            } else {
                outcomes = [try await deployments.runNow(try project.deployment(name ?? ""))]
            }
            for o in outcomes {
                let slot = o.slot.map { " slot \(RunFormatting.isoWithOffset($0))" } ?? ""
                let run = o.runID.map { " run \(String($0.prefix(8)))" } ?? ""
                let state = o.kind == .ran ? ": \(o.state?.rawValue ?? "?")" : ": \(o.kind.rawValue)"
                print("deployment \(o.deployment)\(slot)\(run)\(state)")
                if o.failed, let error = o.error { print("error: \(error)") }
            }
            if due && outcomes.allSatisfy({ $0.kind == .paused }) || outcomes.isEmpty { print("nothing due") }
            if outcomes.contains(where: \.failed) { throw ExitCode(1) }
        }
    }
}

struct DeploymentPauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a deployment: no scheduled runs until resumed.")
    @Argument(help: "The deployment.") var name: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reportingErrors {
            _ = try global.project().deployment(name)
            try DeploymentPauses(workingDirectory: global.workingDirectory).set(name, paused: true)
            print("deployment \(name) paused")
        }
    }
}

struct DeploymentResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a paused deployment.")
    @Argument(help: "The deployment.") var name: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reportingErrors {
            let project = try global.project()
            if try project.deployment(name).paused {
                throw SluiceError(.configuration, "[deployments.\(name)] paused = true: set it to false there to resume", file: project.config.path)
            }
            try DeploymentPauses(workingDirectory: global.workingDirectory).set(name, paused: false)
            print("deployment \(name) resumed")
        }
    }
}
