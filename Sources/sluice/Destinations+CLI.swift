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
            return PostgresDestination(credentials: try postgresCredentials(), dataset: dataset ?? pipeline)
        default:
            throw SluiceError(.configuration, "unknown destination '\(name)'; available: \(names.joined(separator: ", "))")
        }
    }

    /// `[destination.postgres.credentials]` in secrets.toml: a connection string, or host, port, database,
    /// username, password, sslmode, connect_timeout; each overridable as DESTINATION__POSTGRES__CREDENTIALS__<KEY>
    /// (and the whole string as DESTINATION__POSTGRES__CREDENTIALS).
    static func postgresCredentials() throws -> PostgresCredentials {
        let secrets = try Secrets.load()
        let base = ["destination", "postgres", "credentials"]
        var credentials = try secrets.value(base).map(PostgresCredentials.init(connectionString:)) ?? PostgresCredentials()
        if let v = secrets.value(base + ["host"]) { credentials.host = v }
        if let v = secrets.value(base + ["port"]) {
            guard let port = Int(v) else { throw SluiceError(.configuration, "[destination.postgres.credentials] port is not a number") }
            credentials.port = port
        }
        if let v = secrets.value(base + ["database"]) { credentials.database = v }
        if let v = secrets.value(base + ["username"]) { credentials.username = v }
        if let v = secrets.value(base + ["password"]) { credentials.password = v }
        if let v = secrets.value(base + ["sslmode"]) { credentials.sslmode = v }
        if let v = secrets.value(base + ["connect_timeout"]), let t = Int(v) { credentials.connectTimeout = t }
        return credentials
    }
}
