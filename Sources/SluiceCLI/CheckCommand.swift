import ArgumentParser
import Foundation
import PipelineCore
import SluiceProject
import Sources

/// `sluice check`: validates the whole project without running anything, for CI.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check sluice.toml and secrets.toml, every pipeline, source, flow, input and SQL file, without running anything.",
        discussion: "Exits 1 and lists every problem found, each naming the file, the table and the key. Connects to nothing.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.bootstrap()
        var problems: [String] = []
        try await reportingErrors {
            // Every issue of both files first; the pipelines only when the files are sound.
            for (file, schema, quote) in [("sluice.toml", ProjectSchema.sluiceToml(registered: Sluice.projectConfiguration.sources.names), true), ("secrets.toml", ProjectSchema.secretsToml, false)]
            where FileManager.default.fileExists(atPath: file) {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw SluiceError(.configuration, "cannot read it as UTF-8 text", file: file)
                }
                problems += try ProjectSchema.check(text, file: file, schema: schema, quoteErrors: quote).1.map(\.description)
            }
            guard problems.isEmpty else { return }
            let config = try global.project().config
            for name in config.pipelineNames {
                problems += Self.problems(of: name, config, global: global).map { "\(config.path): " + ($0.hasPrefix("[") ? $0 : "[pipelines.\(name)] \($0)") }
            }
            let project = try global.project()
            problems += project.deploymentProblems().map { "\(config.path): \($0.message)" }
            if problems.isEmpty {
                let deployments = try project.deployments()
                print("\(config.path): \(config.pipelineNames.count) pipeline(s) checked (\(config.pipelineNames.joined(separator: ", "))): ok")
                if !deployments.isEmpty {
                    print("\(config.path): \(deployments.count) deployment(s) checked (\(deployments.map(\.name).joined(separator: ", "))): ok")
                }
            }
        }
        guard problems.isEmpty else {
            for problem in problems { print(problem) }
            print("\(problems.count) problem(s)")
            throw ExitCode(1)
        }
    }

    /// What would stop pipeline `name` from running: its source, destination, input files, flow and SQL files
    /// (each a message, starting with its table path when it is not the pipeline's).
    static func problems(of name: String, _ config: ProjectConfig, global: GlobalOptions) -> [String] {
        var problems: [String] = []
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch let error as SluiceError { problems.append(error.message) } catch {
                problems.append("\(error)")
            }
        }
        attempt {
            let project = try global.project()
            _ = (try project.pipeline(name), try project.source(forPipeline: name))
        }
        if let tables = config.table?["pipelines"]?.table?[name]?.table?["tables"]?.table {
            for table in tables.keys.sorted() {
                let section = tables[table]?.table
                let paths = (section?["paths"]?.array?.compactMap(\.string) ?? []) + [section?["path"]?.string].compactMap { $0 }
                if paths.isEmpty { problems.append("tables.\(table): no path or paths") }
                for path in paths where !FileManager.default.fileExists(atPath: path) {
                    problems.append("tables.\(table): input file not found: \(path)")
                }
            }
        }
        attempt {
            let section = try PipelineFlows.section(name, config)
            for file in section.sql ?? [] where !FileManager.default.fileExists(atPath: file) {
                problems.append("flow: SQL file not found: \(file)")
            }
            if let program = section.command?.first, !Self.isExecutable(program) {
                problems.append("flow: command not found: \(program)")
            }
        }
        return problems
    }

    /// Whether `program` is an executable path, or found on PATH.
    static func isExecutable(_ program: String) -> Bool {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }
    }
}
