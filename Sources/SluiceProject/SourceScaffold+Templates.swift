extension SourceScaffold {
    /// The Swift of the source package, by kind. `__NAME__` is the source name, `__TYPE__` its type.
    static func sourceTemplate(_ kind: Kind) -> String {
        switch kind {
        case .rest: return """
            import Foundation
            import PipelineCore

            /// The `__NAME__` source package: one resource, `items`, read from `GET <base_url>items` page by page
            /// (the `Link` header), merged on `id`. Keys of `[pipelines.<p>]`: `base_url`. Secrets of
            /// `[sources.<p>.credentials]`: `token` (optional), sent as `Authorization: Bearer`.
            public enum __TYPE__: SourcePackage {
                public static let name = "__NAME__"
                public static let defaultBaseURL = "https://api.example.com/v1/"

                public struct Settings: SourceSettings {
                    public var baseURL: String?
                    public var credentials: PackageCredentials?

                    public static let keys: Set<String> = ["base_url"]
                    enum CodingKeys: String, CodingKey {
                        case credentials
                        case baseURL = "base_url"
                    }
                }

                public static func build(pipeline: String, settings: Data) throws -> Source {
                    let s = try Settings.decode(settings, source: name, pipeline: pipeline)
                    var configuration = try PackageClient.configuration(s.baseURL ?? defaultBaseURL, pipeline: pipeline)
                    configuration.paginator = HeaderLinkPaginator()
                    if let token = s.credentials?.value("token") { configuration.auth = BearerTokenAuth(token: token) }
                    let client = RESTClient(configuration)
                    let items = Resource(name: "items", hints: ResourceHints(writeDisposition: .merge, primaryKey: ["id"])) { out in
                        for try await page in client.pages("items") {
                            for row in page.rows { try await out.write(row) }
                        }
                    }
                    return Source(name: name, resources: [items])
                }
            }

            """
        case .sql: return """
            import DatabaseClients
            import Foundation
            import PipelineCore

            /// The `__NAME__` source package: one table of a database (`table`, default `items`), read in chunks
            /// and merged on its primary key. Keys of `[pipelines.<p>]`: `table`, `sqlite` (a SQLite file to read
            /// instead of Postgres), `schema`. Secrets of `[sources.<p>]`: `credentials`, a Postgres URL.
            public enum __TYPE__: SourcePackage {
                public static let name = "__NAME__"

                public struct Settings: SourceSettings {
                    public var table: String?
                    public var sqlite: String?
                    public var schema: String?
                    public var credentials: PackageCredentials?

                    public static let keys: Set<String> = ["table", "sqlite", "schema"]
                }

                public static func build(pipeline: String, settings: Data) throws -> Source {
                    let s = try Settings.decode(settings, source: name, pipeline: pipeline)
                    let connection: SQLDatabaseSource.Connection
                    if let sqlite = s.sqlite {
                        connection = .sqlite(path: sqlite)
                    } else {
                        let url = try PackageCredentials.require(s.credentials, "", pipeline: pipeline, for: "reading Postgres")
                        connection = .postgres(try PostgresCredentials(connectionString: url), schema: s.schema ?? "public")
                    }
                    let table = s.table ?? "items"
                    var hints = TableSettings()
                    hints.writeDisposition = .merge
                    return try SQLDatabaseSource.source(connection, tables: [table], name: name, settings: [table: hints])
                }
            }

            """
        case .files: return """
            import Foundation
            import PipelineCore

            /// The `__NAME__` source package: one resource, `items`, appending the rows of local files (CSV, JSON
            /// Lines or JSON, plain or gzip). Keys of `[pipelines.<p>]`: `paths`. No secrets.
            public enum __TYPE__: SourcePackage {
                public static let name = "__NAME__"

                public struct Settings: SourceSettings {
                    public var paths: [String]

                    public static let keys: Set<String> = ["paths"]
                }

                public static func build(pipeline: String, settings: Data) throws -> Source {
                    let s = try Settings.decode(settings, source: name, pipeline: pipeline)
                    let items = try FileResource.make(name: "items", paths: s.paths, hints: ResourceHints(writeDisposition: .append))
                    return Source(name: name, resources: [items])
                }
            }

            """
        }
    }

    /// The test of the source package, by kind: end to end into a SQLite file, from a loopback server (rest),
    /// a SQLite database (sql) or a CSV file (files), through sluice.toml as `sluice run` reads it.
    static func testTemplate(_ kind: Kind) -> String {
        let setup: String
        switch kind {
        case .rest: setup = """
                    let server = try FixtureHTTPServer { request, _ in
                        guard request.headers["authorization"] == "Bearer test-token" else { return .json(#"{"message": "unauthorized"}"#, status: 401) }
                        guard request.path == "/v1/items" else { return .status(404) }
                        return .json(#"[{"id": 1, "name": "one"}, {"id": 2, "name": "two"}]"#)
                    }
                    defer { server.stop() }
                    let project = try PackageProject(\"""
                        [pipelines.__NAME__]
                        source = "__NAME__"
                        base_url = "\\(server.baseURL)/v1/"
                        \""", secrets: "[sources.__NAME__.credentials]\\ntoken = \\"test-token\\"\\n")
            """
        case .sql: setup = """
                    let folder = try TemporaryDirectory.make("__NAME__")
                    let database = try SQLiteConnection(path: folder + "/app.sqlite")
                    try database.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
                    try database.execute("INSERT INTO items VALUES (1, 'one'), (2, 'two')")
                    let project = try PackageProject(\"""
                        [pipelines.__NAME__]
                        source = "__NAME__"
                        sqlite = "\\(folder)/app.sqlite"
                        \""")
            """
        case .files: setup = """
                    let folder = try TemporaryDirectory.make("__NAME__")
                    try "id,name\\n1,one\\n2,two\\n".write(toFile: folder + "/items.csv", atomically: true, encoding: .utf8)
                    let project = try PackageProject(\"""
                        [pipelines.__NAME__]
                        source = "__NAME__"
                        paths = ["\\(folder)/items.csv"]
                        \""")
            """
        }
        return """
            import DatabaseClients
            import Foundation
            import SluiceTesting
            import Sources
            import Testing

            /// The `__NAME__` source package end to end into a SQLite file (scaffolded by `sluice new source`).
            @Suite("__NAME__ source")
            struct __TYPE__Tests {
                @Test func itemsLoadIntoSQLite() async throws {
            \(setup)
                    defer { project.cleanup() }
                    try await project.run("__NAME__")
                    #expect(try project.rows("__NAME__", "SELECT id, name FROM items ORDER BY id") == [["1", "one"], ["2", "two"]])
                }

                @Test func anUnknownKeyIsAnError() async throws {
                    let settings = Data(#"{"source": "__NAME__", "unknown_key": 1}"#.utf8)
                    let message = await errorMessage { _ = try __TYPE__.build(pipeline: "__NAME__", settings: settings) }
                    #expect(message.contains("unknown_key"), "\\(message)")
                }
            }

            """
    }
}
