import ArgumentParser
import Foundation
import PipelineCore
import SluiceProject

/// `sluice new source NAME [--kind rest|sql|files]`: scaffolds a source package (see ``SourceScaffold``).
struct NewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new", abstract: "Scaffold new parts of a Sluice checkout.", subcommands: [NewSourceCommand.self])
}

extension SourceScaffold.Kind: ExpressibleByArgument {}

struct NewSourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Scaffold a source package: Sources/Sources/<Name>/, its registration, a test, [pipelines.<name>] with a flow, "
            + "a daily deployment (paused) and its secrets in secrets.toml.example.",
        discussion: "Run at the root of a checkout of Sluice. Refuses a name that is not snake_case, a source that exists, "
            + "and any file or section that exists already (nothing is changed then). Then: swift build, "
            + "swift test --filter <Name>SourceTests, sluice run <name> --destination sqlite. See docs/writing-a-source.md.")

    @Argument(help: "The source's name, in snake_case (it names the pipeline too).")
    var name: String

    @Option(help: "What its resource reads: rest (an HTTP JSON API), sql (a database table) or files (local files).")
    var kind: SourceScaffold.Kind = .rest

    @Option(help: "The checkout of Sluice to scaffold in.")
    var repository = "."

    func run() async throws {
        try await reportingErrors {
            let scaffold = try SourceScaffold(name: name, kind: kind, existing: Sluice.projectConfiguration.sources.names)
            let written = try scaffold.write(into: repository)
            print("created source package \(scaffold.name) (\(scaffold.kind.rawValue)):")
            for path in written { print("  \(path)") }
            print("""
                next:
                  swift build --build-tests && swift test --skip-build --filter \(scaffold.typeName)Tests
                  .build/debug/sluice run \(scaffold.name) --destination sqlite
                sluice.toml now names source "\(scaffold.name)": rebuild the sluice you run (swift build -c release --product sluice),
                since one built before this does not know the source and refuses the file.
                """)
        }
    }
}
