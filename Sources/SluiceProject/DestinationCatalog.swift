import Destinations
import Foundation
import DatabaseClients
import PipelineCore

/// The destinations a project can load into, by the name `destination = "..."` and `--destination` give:
/// `sqlite`, `postgres` and `filesystem` bundled, others registered (one of your own).
public struct DestinationCatalog: Sendable {
    /// What a builder gets: the pipeline, its dataset (if one was named) and the project (for its
    /// `[destination.<name>]` settings and secrets).
    public struct Request: Sendable {
        public var pipeline: String
        public var dataset: String?
        public var project: Project
        /// Settings given for this run (command-line flags), over the project's.
        public var overrides: [String: String] = [:]
        /// Flags an earlier `sluice load` of the pipeline recorded, under this run's: each applies unless the
        /// run gives its own flag.
        public var recorded: [String: String] = [:]
        /// The file ``recorded`` was read from (`sluice load`'s `load.json`).
        public var recordedIn: String?

        /// The setting `key` of destination `name`: the run's override (a flag), else its environment variable
        /// (`DESTINATION__<NAME>__<KEY>`, as dlt reads every configuration key), else secrets.toml when
        /// `secret` (dlt reads `bucket_url` from either file), else `[destination.<name>]` in sluice.toml.
        public func setting(_ key: String, of name: String, secret: Bool = false) -> String? {
            let path = ["destination", name, key]
            return overrides[key] ?? recorded[key] ?? project.secrets.environmentValue(path) ?? (secret ? project.secrets.fileValue(path) : nil)
                ?? project.config.destinationSettings(name)[key]
        }

        /// Where ``setting(_:of:secret:)`` takes `key` from, for errors: `--bucket-url` (or the flag as
        /// `sluice load` recorded it), `DESTINATION__FILESYSTEM__BUCKET_URL`, `[destination.filesystem]
        /// bucket_url in secrets.toml` or `... in sluice.toml`; `nil` when the setting is not given.
        public func origin(of key: String, of name: String, secret: Bool = false) -> String? {
            let path = ["destination", name, key]
            let flag = "--" + key.replacingOccurrences(of: "_", with: "-")
            if overrides[key] != nil { return flag }
            if recorded[key] != nil { return "\(flag) as sluice load recorded it" + (recordedIn.map { " in \($0)" } ?? "") }
            if project.secrets.environmentValue(path) != nil { return Secrets.variable(path) }
            if secret, project.secrets.fileValue(path) != nil { return "[destination.\(name)] \(key) in \(project.configuration.secretsPath)" }
            if project.config.destinationSettings(name)[key] != nil { return "[destination.\(name)] \(key) in \(project.configuration.configPath)" }
            return nil
        }
    }

    public typealias Builder = @Sendable (Request) throws -> any Destination

    public private(set) var builders: [String: Builder]

    public init(builders: [String: Builder] = [:]) { self.builders = builders }

    public mutating func register(_ name: String, _ builder: @escaping Builder) { builders[name] = builder }

    public var names: [String] { builders.keys.sorted() }

    /// The destination `name` for `pipeline`; an unknown name is an error listing the known ones.
    /// `overrides` are this run's flags; `recorded`, those an earlier `sluice load` kept in `recordedIn`.
    public func destination(_ name: String, pipeline: String, dataset: String?, project: Project,
                            overrides: [String: String] = [:], recorded: [String: String] = [:], recordedIn: String? = nil) throws -> any Destination
    {
        guard let builder = builders[name] else {
            throw SluiceError(.configuration, "unknown destination '\(name)'; available: \(names.joined(separator: ", "))")
        }
        return try builder(Request(pipeline: pipeline, dataset: dataset, project: project, overrides: overrides,
                                   recorded: recorded, recordedIn: recordedIn))
    }

    /// SQLite (`[destination.sqlite] path`, `{pipeline}` in it; default `./<pipeline>.sqlite`) and Postgres
    /// (credentials from secrets.toml or the environment, dataset = schema).
    public static let bundled: DestinationCatalog = {
        var catalog = DestinationCatalog()
        catalog.register("sqlite") { request in
            let pattern = request.project.config.destinationSettings("sqlite")["path"] ?? "{pipeline}.sqlite"
            return SQLiteDestination(path: pattern.replacingOccurrences(of: "{pipeline}", with: request.pipeline))
        }
        catalog.register("postgres") { request in
            PostgresDestination(credentials: try postgresCredentials(request.project.secrets), dataset: request.dataset ?? request.pipeline)
        }
        catalog.register("filesystem") { request in try filesystem(request) }
        return catalog
    }()

    /// The keys of `[destination.postgres.credentials]`.
    public static let postgresKeys = ["host", "port", "database", "username", "password", "sslmode", "connect_timeout"]

    /// `[destination.postgres.credentials]` in secrets.toml (a table of ``postgresKeys``, or a connection string),
    /// overridden by the environment as dlt does: `DESTINATION__POSTGRES__CREDENTIALS` (a whole connection
    /// string or URL) replaces whatever the file says, and `DESTINATION__POSTGRES__CREDENTIALS__<KEY>` wins
    /// over both for its key. With none of them set, this is an error naming what would set them.
    public static func postgresCredentials(_ secrets: Secrets) throws -> PostgresCredentials {
        let base = ["destination", "postgres", "credentials"]
        var credentials = PostgresCredentials()
        var given = false
        func apply(_ key: String, _ value: String, from source: String) throws {
            given = true
            switch key {
            case "host": credentials.host = value
            case "port", "connect_timeout":
                guard let n = Int(value) else { throw SluiceError(.configuration, "\(source): \(key) is not a number") }
                if key == "port" { credentials.port = n } else { credentials.connectTimeout = n }
            case "database": credentials.database = value
            case "username": credentials.username = value
            case "password": credentials.password = value
            default: credentials.sslmode = value
            }
        }
        // 1. the file: a connection string, or a table of keys
        if let text = secrets.fileNode(base)?.string {
            credentials = try PostgresCredentials(connectionString: text)
            given = true
        }
        for key in postgresKeys {
            if let v = secrets.fileValue(base + [key]) { try apply(key, v, from: "secrets.toml [destination.postgres.credentials]") }
        }
        // 2. the environment, over the file: the whole string replaces it, then single keys
        if let text = secrets.environmentValue(base) {
            credentials = try PostgresCredentials(connectionString: text)
            given = true
        }
        for key in postgresKeys {
            if let v = secrets.environmentValue(base + [key]) { try apply(key, v, from: Secrets.variable(base + [key])) }
        }
        guard given else {
            throw SluiceError(
                .configuration,
                "no Postgres credentials: set [destination.postgres.credentials] \(postgresKeys.joined(separator: ", ")) in secrets.toml, "
                    + "or \(Secrets.variable(base)) (a connection string such as postgresql://user:password@host:5432/database), "
                    + "or \(postgresKeys.map { Secrets.variable(base + [$0]) }.joined(separator: ", "))")
        }
        return credentials
    }
}
