import Destinations
import Flows
import Foundation
import Logging
import PipelineCore
import Pipelines
import TOMLKit

/// The default flow of every pipeline in sluice.toml (what `sluice flow` runs), shaped by its
/// `[pipelines.<name>.flow]` section and built from ``Project`` values: the files are read once, not
/// on every attempt.
///
/// ```toml
/// [pipelines.sample.flow]
/// retries = [10, 30, 90]          # delays of the run_sample task's retries, in seconds (the default)
/// retry_jitter = 0.1              # spread each delay by up to 10%
/// timeout = 3600                  # seconds before run_sample is cancelled (TimedOut)
/// sql = ["transform/daily.sql"]   # then sql_sample runs these files in order against the destination
/// command = ["dbt", "build"]      # then command_sample runs this program
/// command_timeout = 1800
/// sql_retries = [30]              # retry delays of sql_sample (default: none)
/// command_retries = [60, 300]     # retry delays of command_sample (default: none)
/// cache_expiration = 3600         # sql_sample and command_sample reuse a result this many seconds
/// refresh_cache = false           # true: run them anyway and replace the cached results
/// ```
public enum PipelineFlows {
    /// `[pipelines.<name>.flow]`, validated.
    public struct FlowSection: Sendable {
        public var retries: [Double]?
        public var retryJitter: Double?
        public var timeout: Double?
        public var sql: [String]?
        public var command: [String]?
        public var commandTimeout: Double?
        /// Retry delays of the SQL and command steps (none when absent).
        public var sqlRetries: [Double]?
        public var commandRetries: [Double]?
        /// Seconds a cached result of the SQL and command steps stays valid (no caching when absent).
        public var cacheExpiration: Double?
        public var refreshCache = false
    }

    /// Parameters of a pipeline's default flow: `sluice flow run sample --param full_refresh=true`.
    public struct PipelineParameters: Codable, Sendable {
        /// Drop the pipeline's tables and state first.
        var fullRefresh = false
        /// Set by a deployment's scheduled run: the deployment and its slot (ISO 8601, UTC). The load claims
        /// `deployment:<name>` = slot in the pipeline state (``Source/claims``), so the slot loads once.
        var deployment: String?
        var slot: String?

        // Defaults for absent keys (synthesized decoding would require every key).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            fullRefresh = try c.decodeIfPresent(Bool.self, forKey: .fullRefresh) ?? false
            deployment = try c.decodeIfPresent(String.self, forKey: .deployment)
            slot = try c.decodeIfPresent(String.self, forKey: .slot)
        }

        /// The claim key of a deployment's slots in the pipeline state.
        public static func claimKey(deployment: String) -> String { "deployment:\(deployment)" }
    }

    /// What a pipeline flow run stores as its result: the load info in brief.
    public struct PipelineResult: Codable, Sendable {
        var pipeline: String
        var destination: String
        var dataset: String
        var loadIds: [String]
        var rows: [String: Int]
        var schemaChanges: [String]
        var seconds: Double
        var transformations: [String]?
        var command: CommandResult?
        /// A deployment's slot that another run had claimed already: nothing was loaded.
        var alreadyRun: Bool?
    }

    /// Every pipeline's flow, by name.
    public static func all(_ project: Project) throws -> [AnyFlow] {
        try project.pipelineNames.map { try pipelineFlow($0, project: project) }
    }

    /// The flow of pipeline `name`; an unknown name is an error listing the flows there are.
    public static func named(_ name: String, _ project: Project) throws -> AnyFlow {
        guard project.pipelineNames.contains(name) else {
            let known = project.pipelineNames.joined(separator: ", ")
            throw SluiceError(.configuration, "no flow '\(name)' (flows: \(known.isEmpty ? "none" : known))", file: project.config.path)
        }
        return try pipelineFlow(name, project: project)
    }

    public static func section(_ name: String, _ config: ProjectConfig) throws -> FlowSection {
        guard let table = config.table?["pipelines"]?.table?[name]?.table?["flow"]?.table else { return FlowSection() }
        let known: Set = ["retries", "retry_jitter", "timeout", "sql", "command", "command_timeout", "sql_retries", "command_retries",
                          "cache_expiration", "refresh_cache"]
        if let unknown = table.keys.first(where: { !known.contains($0) }) {
            let hint = DidYouMean.suggestion(for: unknown, among: Array(known)).map { "did you mean '\($0)'?" } ?? "keys: \(known.sorted().joined(separator: ", "))"
            throw SluiceError(.configuration, "[pipelines.\(name).flow] \(unknown): unknown key (\(hint))",
                              file: config.path)
        }
        func fail(_ key: String, _ expected: String) -> SluiceError {
            SluiceError(.configuration, "[pipelines.\(name).flow] \(key): expected \(expected)", file: config.path)
        }
        // TOML keeps 10 and 10.0 apart; a number of seconds may be either.
        func number(_ value: (any TOMLValueConvertible)?) -> Double? { value?.double ?? value?.int.map(Double.init) }
        func seconds(_ key: String) throws -> Double? {
            guard let value = table[key] else { return nil }
            guard let n = number(value), n >= 0 else { throw fail(key, "a number of seconds, 0 or more") }
            return n
        }
        func strings(_ key: String) throws -> [String]? {
            guard let value = table[key] else { return nil }
            guard let array = value.array, let items = Optional(array.compactMap { $0.string }), items.count == array.count else {
                throw fail(key, "a list of strings")
            }
            return items
        }
        func delays(_ key: String) throws -> [Double]? {
            guard let value = table[key] else { return nil }
            guard let array = value.array, let delays = Optional(array.compactMap { number($0) }), delays.count == array.count,
                delays.allSatisfy({ $0 >= 0 })
            else { throw fail(key, "a list of delays in seconds, such as [10, 30, 90]") }
            return delays
        }
        var section = FlowSection()
        section.retries = try delays("retries")
        section.sqlRetries = try delays("sql_retries")
        section.commandRetries = try delays("command_retries")
        section.retryJitter = try seconds("retry_jitter")
        if let jitter = section.retryJitter, jitter > 1 { throw fail("retry_jitter", "a fraction from 0 to 1 (0.1 spreads each delay by 10%)") }
        section.timeout = try seconds("timeout")
        section.commandTimeout = try seconds("command_timeout")
        section.sql = try strings("sql")
        section.command = try strings("command")
        if section.command?.isEmpty == true { throw fail("command", "a program and its arguments") }
        section.cacheExpiration = try seconds("cache_expiration")
        if let value = table["refresh_cache"] {
            guard let flag = value.bool else { throw fail("refresh_cache", "true or false") }
            section.refreshCache = flag
        }
        return section
    }

    /// Errors a retry cannot fix: bad configuration, bad input data (a response that is not the JSON its
    /// source expects), a schema contract, a request an API refused (HTTP 4xx other than 408 and 429).
    public static func isWorthRetrying(_ error: any Error) -> Bool {
        guard let error = error as? SluiceError else { return true }
        return ![SluiceError.Code.configuration, .badInput, .emptyInput, .schema, .alreadyClaimed, .refused].contains(error.code)
    }

    /// `run_<name>` (load, with retries), then `sql_<name>` and `command_<name>` when configured.
    public static func pipelineFlow(_ name: String, project: Project) throws -> AnyFlow {
        let section = try section(name, project.config)
        var retry = RetryPolicy(delays: section.retries ?? RetryPolicy.pipelineDefault.delays, jitter: section.retryJitter ?? 0)
        retry.condition = isWorthRetrying
        let load = FlowTask("run_\(name)", retry: retry, timeout: section.timeout.map { .seconds($0) }) { (task, p: PipelineParameters) in
            var (pipeline, source) = (try project.pipeline(name), try project.source(forPipeline: name))
            if let deployment = p.deployment, let slot = p.slot {
                source.claims[PipelineParameters.claimKey(deployment: deployment)] = slot
            }
            if p.fullRefresh {
                task.logger.info("full refresh: dropping the tables and state of \(name)")
                // Deployments' slots are not data: they survive the refresh, or slots would run again.
                let kept = try await pipeline.currentState().resources[Source.stateKey]?.values ?? [:]
                try await pipeline.fullRefresh(keeping: [LoadSpec.fileName])
                for (key, value) in kept where source.claims[key] == nil { source.claims[key] = value }
            }
            let info = try await pipeline.run(source)
            for line in info.description.split(separator: "\n") { task.logger.info("\(line)") }
            var rows: [String: Int] = [:]
            for package in info.packages { for (table, n) in package.rowCounts { rows[table, default: 0] += n } }
            return PipelineResult(pipeline: name, destination: info.destination, dataset: info.dataset, loadIds: info.loadIds,
                                  rows: rows, schemaChanges: info.packages.flatMap(\.schemaChanges),
                                  seconds: info.extractSeconds + info.normalizeSeconds + info.loadSeconds)
        }
        let sqlFiles = section.sql ?? []
        var stepRetry = RetryPolicy(delays: section.sqlRetries ?? [], jitter: section.retryJitter ?? 0)
        stepRetry.condition = isWorthRetrying
        var transform = FlowTask("sql_\(name)", retry: stepRetry) { task -> [String] in
            let pipeline = try project.pipeline(name)
            guard let destination = pipeline.destination as? any ScriptableDestination else {
                throw SluiceError(.configuration, "the \(pipeline.destination.name) destination cannot run SQL files")
            }
            for file in sqlFiles {
                let script: String
                do { script = try String(contentsOfFile: file, encoding: .utf8) } catch {
                    throw SluiceError(.configuration, "cannot read the SQL file", file: file)
                }
                try await destination.runScript(script, name: file)
                task.logger.info("ran \(file)")
            }
            return sqlFiles
        }
        var command = section.command.map {
            FlowTask.command("command_\(name)", $0, retry: RetryPolicy(delays: section.commandRetries ?? [], jitter: section.retryJitter ?? 0),
                             timeout: section.commandTimeout.map { .seconds($0) })
        }
        if let expiration = section.cacheExpiration {
            // Keyed by what the step depends on: the SQL files' names and contents, the command's arguments.
            transform = transform.cached(CachePolicy(expiration: .seconds(expiration), refresh: section.refreshCache) { _ in
                var bytes = Data()
                for file in sqlFiles {
                    guard let contents = FileManager.default.contents(atPath: file) else {
                        throw SluiceError(.configuration, "cannot read the SQL file", file: file)
                    }
                    bytes += Data(file.utf8) + [0] + contents + [0]
                }
                return CacheKey.digest(bytes)
            })
            let argv = section.command ?? []
            command = command?.cached(CachePolicy(expiration: .seconds(expiration), refresh: section.refreshCache) { _ in
                CacheKey.digest(Data(argv.joined(separator: "\u{0}").utf8))
            })
        }
        var tasks = ["run_\(name) (retries after \(retry.delays.map { "\(Int($0))s" }.joined(separator: ", ")))"]
        func retries(_ delays: [Double]?) -> String {
            guard let delays, !delays.isEmpty else { return "" }
            return ", retries after " + delays.map { "\(Int($0))s" }.joined(separator: ", ")
        }
        if !sqlFiles.isEmpty { tasks.append("sql_\(name) (\(sqlFiles.joined(separator: ", "))\(retries(section.sqlRetries)))") }
        if let argv = section.command { tasks.append("command_\(name) (\(argv.joined(separator: " "))\(retries(section.commandRetries)))") }
        if let expiration = section.cacheExpiration {
            tasks.append("results of the SQL and command steps cached for \(Int(expiration)) s" + (section.refreshCache ? " (refreshed now)" : ""))
        }

        let (transformStep, commandStep) = (transform, command)
        let flow = Flow(name, summary: "load pipeline \(name)") { (flow, p: PipelineParameters) in
            var result: PipelineResult
            do { result = try await flow.run(load, p) } catch let error as SluiceError where error.code == .alreadyClaimed {
                // Another job ran this slot (a race both planned): nothing to do, and nothing failed.
                flow.logger.info("slot \(p.slot ?? "") of deployment \(p.deployment ?? "") was run by another job: nothing loaded")
                return PipelineResult(pipeline: name, destination: "", dataset: "", loadIds: [], rows: [:], schemaChanges: [], seconds: 0,
                                      alreadyRun: true)
            }
            if !sqlFiles.isEmpty { result.transformations = try await flow.run(transformStep) }
            if let commandStep { result.command = try await flow.run(commandStep) }
            return result
        }
        return AnyFlow(flow, tasks: tasks)
    }

    /// A runner over `.sluice/runs.sqlite` that masks every secret we know, echoes logs to the
    /// console, and notifies the webhook of `[notifications.webhook]`.
    /// A runner over `store` that masks every secret of the project, echoes log lines at `level` and
    /// above through `echo` (a console handler, given the redactor), and notifies the webhook of
    /// `[notifications.webhook]`.
    public static func runner(store: any RunStore, project: Project, level: Logger.Level? = nil,
                              echo: (@Sendable (String, Redactor) -> any LogHandler)? = nil) throws -> FlowRunner {
        let (secrets, config) = (project.secrets, project.config)
        var configuration = FlowRunner.Configuration()
        configuration.redactor = Redactor(secrets: secrets.allValues())
        if let level, let echo {
            configuration.logLevel = level
            let redactor = configuration.redactor
            configuration.echo = { label in echo(label, redactor) }
        }
        let webhook = config.table?["notifications"]?.table?["webhook"]?.table
        if let url = secrets.value(["notifications", "webhook", "url"]) ?? webhook?["url"]?.string {
            guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https" else {
                throw SluiceError(.configuration, "[notifications.webhook] url is not an http(s) URL", file: config.path)
            }
            configuration.redactor.add(url)
            var notifier = WebhookNotifier(url: parsed)
            if let names = webhook?["states"]?.array?.compactMap({ $0.string }) {
                notifier.states = Set(try names.map { name in
                    guard let state = RunState(name: name), state.isFinal else {
                        throw SluiceError(.configuration, "[notifications.webhook] states: '\(name)' is not a final state", file: config.path)
                    }
                    return state
                })
            }
            configuration.notifiers = [notifier]
        }
        return FlowRunner(store: store, configuration: configuration)
    }

    /// `[runs] retention_days` (default 30; 0 keeps runs forever).
    public static func retention(_ config: ProjectConfig) -> Duration? {
        let days = config.table?["runs"]?.table?["retention_days"]?.int ?? 30
        return days > 0 ? .seconds(days * 86_400) : nil
    }

    /// The project's run store, `<working directory>/runs.sqlite`.
    public static func openStore(_ project: Project) throws -> SQLiteRunStore {
        try openStore(workingDirectory: project.workingDirectory)
    }

    /// The run store of the working directory, `<working directory>/runs.sqlite`.
    public static func openStore(workingDirectory: String) throws -> SQLiteRunStore {
        try SQLiteRunStore(path: workingDirectory + "/runs.sqlite")
    }
}
