import ArgumentParser
import Flows
import Foundation
import Logging
import PipelineCore
import ServiceLifecycle
import SluiceProject

/// `sluice serve`: the deployments of sluice.toml on their schedules, until SIGTERM or Ctrl-C.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the deployments of sluice.toml on their schedules until stopped (SIGTERM or Ctrl-C).",
        discussion: """
            Creates each deployment's next runs ahead (Scheduled, see `sluice runs --deployment NAME`), starts each at its \
            slot, and reads sluice.toml again when it changes. One line is logged per run start and end; the runs' own \
            logs are in the run store (`sluice logs RUN`), and on the console too with --verbose. SIGTERM or Ctrl-C \
            cancels the running runs (recorded Cancelled) and exits 0. See docs/scheduling.md.
            """)

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let redactor = Redactor.forProject()
        let level: Logger.Level = global.verbose ? .debug : .info
        LoggingSystem.bootstrap { label in
            var handler = ConsoleLogHandler(label: label, redactor: redactor)
            handler.logLevel = level
            return handler
        }
        var project = Sluice.projectConfiguration
        project.workingDirectory = global.workingDirectory
        let store: SQLiteRunStore
        do {
            // A project that cannot be read stops serve before it starts; later edits with errors are logged instead.
            _ = try Project.load(project).deployments()
            store = try PipelineFlows.openStore(workingDirectory: global.workingDirectory)
        } catch var error as SluiceError {
            error.message = redactor.redact(error.message)
            throw CLIError(error)
        }
        defer { store.close() }
        let verbose = global.verbose
        var configuration = Scheduler.Configuration()
        configuration.logger = Logger(label: "sluice.serve")
        let scheduler = Scheduler(project: project, store: store, configuration: configuration) { project in
            guard verbose else { return try PipelineFlows.runner(store: store, project: project) }
            return try PipelineFlows.runner(store: store, project: project, level: .debug) { label, redactor in
                ConsoleLogHandler(label: label, redactor: redactor)
            }
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: SchedulerService(scheduler: scheduler))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "sluice.serve.lifecycle")))
        do {
            try await group.run()
        } catch let error as SluiceError {
            throw CLIError(error)
        }
    }
}

/// The scheduler as a Service: graceful shutdown (SIGTERM, SIGINT) cancels it, which cancels the running
/// flow runs (recorded Cancelled) and returns.
struct SchedulerService: Service {
    let scheduler: Scheduler

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await scheduler.run() }
    }
}
