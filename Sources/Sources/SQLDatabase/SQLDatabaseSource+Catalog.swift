import DatabaseClients
import Foundation
import PipelineCore

extension SQLDatabaseSource {
    /// A `[pipelines.<name>]` section for `source = "sql_database"` (or `"products"`).
    public struct Settings: Codable, Sendable {
        /// A Postgres connection string or URL; put it in secrets.toml as `[sources.<pipeline>] credentials`.
        public var credentials: String?
        /// A SQLite file to read instead of Postgres.
        public var sqlite: String?
        /// The Postgres schema (default `public`).
        public var schema: String?
        /// Tables to read (default: all of the schema).
        public var tables: [String]?
        /// Per table: `{ products = { cursor = "updated_at" } }`.
        public var incremental: [String: TableSettings.IncrementalSettings]?
        public var chunkSize: Int?
        /// Per table, the hints every source shares (`[pipelines.<p>.hints.<table>]`: exclude, hash, contract,
        /// keys, write disposition, incremental); they win over what the catalog says.
        public var hints: [String: TableSettings]?

        enum CodingKeys: String, CodingKey {
            case credentials, sqlite, schema, tables, incremental, hints
            case chunkSize = "chunk_size"
        }

        func connection(pipeline: String) throws -> Connection {
            if let sqlite { return .sqlite(path: sqlite) }
            guard let credentials else {
                throw SluiceError(.configuration, """
                    pipeline \(pipeline) reads a database but has no credentials: set [sources.\(pipeline)] credentials in \
                    secrets.toml (or SOURCES__\(pipeline.uppercased())__CREDENTIALS), or sqlite = "file.sqlite"
                    """)
            }
            return .postgres(try PostgresCredentials(connectionString: credentials), schema: schema ?? "public")
        }
    }

    static func decode(_ pipeline: String, _ settings: Data) throws -> Settings {
        do { return try JSONDecoder().decode(Settings.self, from: settings) } catch {
            throw SluiceError(.configuration, "pipeline \(pipeline): invalid sql_database settings (\(decodingSummary(error)))")
        }
    }

    /// `source = "sql_database"`: the tables of a schema (or the listed ones).
    @Sendable public static func build(pipeline: String, settings: Data) throws -> Source {
        let s = try decode(pipeline, settings)
        return try source(try s.connection(pipeline: pipeline), tables: s.tables ?? [],
                          incremental: (s.incremental ?? [:]).mapValues(\.incremental), chunkSize: s.chunkSize ?? 10_000,
                          settings: s.hints ?? [:])
    }

    /// `source = "products"`: the common pattern of a products table in an application database, merged
    /// into the warehouse by its primary key and read incrementally on `updated_at`.
    @Sendable public static func products(pipeline: String, settings: Data) throws -> Source {
        let s = try decode(pipeline, settings)
        let cursor = s.incremental?["products"]?.incremental ?? Incremental(cursor: "updated_at")
        return try source(try s.connection(pipeline: pipeline), tables: ["products"], incremental: ["products": cursor],
                          chunkSize: s.chunkSize ?? 10_000, name: "products", settings: s.hints ?? [:])
    }
}
