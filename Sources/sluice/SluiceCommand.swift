import ArgumentParser
import Logging

/// `sluice`: extract-load pipelines and their orchestration, from one command.
@main
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Extract-load pipelines: stream typed rows from sources into SQLite and other destinations.",
        subcommands: [LoadCommand.self, RunCommand.self, ShowCommand.self, StateCommand.self, ResetCommand.self, SchemaCommand.self])
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log progress to standard error.")
    var verbose = false

    @Option(help: "Where pipelines keep load packages and schemas.")
    var workingDirectory = ".sluice"

    func bootstrap() -> Logger {
        let level: Logger.Level = verbose ? .info : .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "sluice")
    }
}
