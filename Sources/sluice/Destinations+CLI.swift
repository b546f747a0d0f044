import Destinations
import Foundation
import DatabaseClients
import PipelineCore

/// Resolves `--destination NAME` into a destination for a pipeline.
enum DestinationChoice {
    static let names = ["sqlite", "postgres"]

    static func make(_ name: String, pipeline: String, dataset: String? = nil, config: ProjectConfig) throws -> any Destination {
        switch name {
        case "sqlite":
            // [destination.sqlite] path may hold {pipeline}; the default is ./<pipeline>.sqlite
            let pattern = config.destinationSettings("sqlite")["path"] ?? "{pipeline}.sqlite"
            return SQLiteDestination(path: pattern.replacingOccurrences(of: "{pipeline}", with: pipeline))
        case "postgres":
            return PostgresDestination(credentials: try postgresCredentials(try Secrets.load()), dataset: dataset ?? pipeline)
        default:
            throw SluiceError(.configuration, "unknown destination '\(name)'; available: \(names.joined(separator: ", "))")
        }
    }

    /// The keys of `[destination.postgres.credentials]`.
    static let postgresKeys = ["host", "port", "database", "username", "password", "sslmode", "connect_timeout"]

    /// `[destination.postgres.credentials]` in secrets.toml (a table of ``postgresKeys``, or a connection string),
    /// overridden by the environment as dlt does: `DESTINATION__POSTGRES__CREDENTIALS` (a whole connection
    /// string or URL) replaces whatever the file says, and `DESTINATION__POSTGRES__CREDENTIALS__<KEY>` wins
    /// over both for its key. With none of them set, this is an error naming what would set them.
    static func postgresCredentials(_ secrets: Secrets) throws -> PostgresCredentials {
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
