import SluiceProject
import ArgumentParser
import Flows
import Foundation
import PipelineCore

/// `sluice flow run|ls`: run flows as recorded flow runs, list the flows there are.
struct FlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow", abstract: "Run and list flows (every pipeline in sluice.toml has one).",
        subcommands: [FlowRunCommand.self, FlowListCommand.self])
}

struct FlowRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a flow, recording its run, task runs and logs in .sluice/runs.sqlite.",
        discussion: "Exits 0 only when the run ends Completed. Example: sluice flow run sample --param full_refresh=true")

    @Argument(help: "The flow (a pipeline's name).")
    var name: String

    @Option(name: .customLong("param"), help: "A parameter as key=value (JSON values are typed: 3, true, [1,2]). Repeatable.")
    var parameters: [String] = []

    @Flag(help: "Do not echo the run's log lines to standard error.")
    var quiet = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.bootstrap()
        try await reportingErrors {
            let project = try global.project()
            let flow = try PipelineFlows.named(name, project)
            let arguments: [String: String]
            do { arguments = try FlowParameters.parse(parameters) } catch let error as ParameterError {
                throw SluiceError(.configuration, "\(name): \(error)")
            }
            let store = try PipelineFlows.openStore(project)
            defer { store.close() }
            let runner = try PipelineFlows.runner(store: store, project: project, level: quiet ? nil : (global.verbose ? .debug : .info),
                                                  echo: { label, redactor in ConsoleLogHandler(label: label, redactor: redactor) })
            let maintenance = try await runner.maintain(retention: PipelineFlows.retention(project.config))
            for crashed in maintenance.crashed {
                print("flow run \(crashed.id) of \(crashed.name) was left running by a process that is gone: marked Crashed")
            }
            let run: FlowRun<String?>
            do { run = try await flow.run(runner, arguments: arguments) } catch let error as ParameterError {
                throw SluiceError(.configuration, "flow \(name): \(error)")
            }
            let record = try await store.run(id: run.id)
            let seconds = record?.duration.map { String(format: " in %.2f s", $0) } ?? ""
            print("flow run \(run.id) of \(name): \(run.state)\(seconds)")
            if let error = record?.error { print("error: \(error)") }
            guard run.state == .completed else { throw ExitCode(1) }
        }
    }
}

struct FlowListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the flows and their tasks.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reportingErrors {
            let flows = try PipelineFlows.all(try global.project())
            if flows.isEmpty { print("no flows: declare pipelines in sluice.toml") }
            for flow in flows {
                print("\(flow.name)  \(flow.summary)")
                for task in flow.tasks { print("  \(task)") }
            }
        }
    }
}
