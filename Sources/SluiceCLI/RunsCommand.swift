import SluiceProject
import ArgumentParser
import Flows
import Foundation
import PipelineCore

/// `sluice runs`: the flow run history, newest first.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List flow runs, newest first.",
        discussion: "Example: sluice runs --flow sample --state failed --limit 5")

    @Option(help: "Only runs of this flow.")
    var flow: String?

    @Option(help: "Only runs of this deployment (scheduled, missed and run now).")
    var deployment: String?

    @Option(help: "Only runs in this state (completed, failed, timed_out, crashed, ...).")
    var state: String?

    @Option(help: "At most this many runs.")
    var limit = 20

    @Flag(help: "Print JSON (one array of runs) instead of a table.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reportingErrors {
            var query = RunQuery(kind: .flow, name: flow, tag: deployment.map { "deployment:\($0)" }, limit: limit)
            if let state {
                guard let parsed = RunState(name: state) else {
                    let names = RunState.allCases.map(\.rawValue).joined(separator: ", ")
                    throw SluiceError(.configuration, "unknown state '\(state)' (states: \(names))")
                }
                query.state = parsed
            } else {
                // Runs a scheduler created ahead are not history: counted below, listed with --state scheduled.
                query.excludingScheduled = true
            }
            // History stays readable when sluice.toml has a mistake: the project only adds its notifiers.
            let project = try? global.project()
            let store = try PipelineFlows.openStore(workingDirectory: global.workingDirectory)
            defer { store.close() }
            // Runs found dead are marked Crashed here, and notified (with the project's notifiers) once.
            let runner = project.flatMap { try? PipelineFlows.runner(store: store, project: $0) }
            _ = try await (runner ?? FlowRunner(store: store)).maintain(retention: nil)
            let runs = try await store.runs(query)
            if json {
                print(try RunFormatting.json(runs))
                return
            }
            let scheduled = query.excludingScheduled
                ? try await store.runs(RunQuery(kind: .flow, name: flow, state: .scheduled, tag: query.tag, limit: 100_000)).count : 0
            defer { if scheduled > 0 { print("\(scheduled) scheduled run\(scheduled == 1 ? "" : "s") ahead: sluice runs --state scheduled") } }
            if runs.isEmpty { print("no flow runs"); return }
            var rows = [["RUN ID", "FLOW", "STATE", "SLOT (UTC)", "STARTED (UTC)", "DURATION", "ATTEMPTS"]]
            for run in runs {
                // Attempts of the run and retries of its tasks: a task that ran three times counts three.
                let tasks = try await store.runs(RunQuery(kind: .task, flowRunID: run.id, limit: 100_000))
                let attempts = run.attempts + tasks.reduce(0) { $0 + max(0, $1.attempts - 1) }
                rows.append([String(run.id.prefix(8)), run.name, run.state.rawValue, run.scheduledFor.map { RunFormatting.time($0) } ?? "-",
                             run.startedAt.map { RunFormatting.time($0) } ?? "-",
                             run.duration.map { String(format: "%.2f s", $0) } ?? "-", "\(attempts)"])
            }
            print(RunFormatting.table(rows))
        }
    }
}

/// `sluice logs RUN_ID`: one flow run in full: its states, task runs and log lines.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Show a flow run: its task runs and its log lines.",
        discussion: "The id may be shortened to a unique prefix, as `sluice runs` prints it.")

    @Argument(help: "The flow run id (or a unique prefix).")
    var runID: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reportingErrors {
            let store = try PipelineFlows.openStore(workingDirectory: global.workingDirectory)
            defer { store.close() }
            guard let found = try await store.run(id: runID) else {
                throw SluiceError(.configuration, "no run with id \(runID) in \(store.path)")
            }
            let run = found.kind == .flow ? found : try await store.requireRun(id: found.flowRunID)
            print("flow run \(run.id) of \(run.name): \(run.state)" + (run.duration.map { String(format: " in %.2f s", $0) } ?? ""))
            if let parent = run.parentRunID { print("subflow of \(parent)") }
            if let parameters = run.parameters { print("parameters: \(parameters)") }
            if let error = run.error { print("error: \(error)") }
            let tasks = try await store.runs(RunQuery(kind: nil, flowRunID: run.id, limit: 100_000)).reversed()
            var names = [run.id: run.name]
            if !tasks.isEmpty {
                var rows = [["TASK RUN", "NAME", "STATE", "ATTEMPTS", "DURATION"]]
                for task in tasks {
                    names[task.id] = task.name
                    rows.append([String(task.id.prefix(8)), task.name, task.state.rawValue, "\(task.attempts)",
                                 task.duration.map { String(format: "%.2f s", $0) } ?? "-"])
                }
                print(RunFormatting.table(rows))
            }
            for line in try await store.logs(ofFlowRun: run.id) {
                print("\(RunFormatting.time(line.at, fraction: true)) \(line.level.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)) [\(names[line.runID] ?? String(line.runID.prefix(8)))] \(line.message)")
            }
        }
    }
}

enum RunFormatting {
    /// An instant as ISO 8601 in UTC (`2026-11-30T02:00:00Z`).
    static func isoWithOffset(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Parses ISO 8601 with a zone (`2026-11-30T02:00:00Z`, `...+01:00`), fractions allowed.
    static func parseISO(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    static func time(_ date: Date, fraction: Bool = false) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = fraction ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func table(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// The runs as a JSON array; `parameters` and `result`, stored as JSON text, are JSON objects here.
    static func json(_ runs: [RunRecord]) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        guard !runs.isEmpty else { return "[]" }  // Foundation pretty-prints an empty array on three lines
        var objects = try JSONSerialization.jsonObject(with: try encoder.encode(runs)) as? [[String: Any]] ?? []
        for k in objects.indices {
            for key in ["parameters", "result"] {
                if let text = objects[k][key] as? String,
                    let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
                {
                    objects[k][key] = value
                }
            }
        }
        let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
