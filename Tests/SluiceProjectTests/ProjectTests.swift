import SluiceTesting
import Destinations
import Flows
import Pipelines
import Foundation
import PipelineCore
import SluiceProject
import Sources
import Testing

/// The project layer without the binary: files read once, secrets with the environment over the file,
/// pipelines, sources and the default flow built from project values.
@Suite("project")
struct ProjectTests {
    /// A project folder with these files; removed by `cleanup`.
    struct Folder {
        let path = try! TemporaryDirectory.make("project")

        init(sluice: String, secrets: String? = nil) throws {
            try sluice.write(toFile: path + "/sluice.toml", atomically: true, encoding: .utf8)
            if let secrets { try secrets.write(toFile: path + "/secrets.toml", atomically: true, encoding: .utf8) }
        }

        func project(environment: [String: String] = [:], sources: SourceCatalog = .bundled) throws -> Project {
            var configuration = Project.Configuration(folder: path)
            configuration.environment = environment
            configuration.sources = sources
            return try Project.load(configuration)
        }

        func cleanup() { try? FileManager.default.removeItem(atPath: path) }
    }

    static let files = """
        [pipelines.shop]
        source = "files"
        destination = "postgres"
        dataset = "raw"

        [pipelines.shop.tables.orders]
        path = "orders.jsonl"
        write_disposition = "merge"
        primary_key = ["id"]

        [pipelines.shop.flow]
        retries = [1, 2]
        command = ["true"]
        command_retries = [5]

        """

    @Test func pipelinesAndSourcesAreBuiltFromTheFilesReadOnce() throws {
        let folder = try Folder(sluice: Self.files, secrets: "[destination.postgres.credentials]\nhost = \"db.internal\"\npassword = \"file-pw-1234\"\n")
        defer { folder.cleanup() }
        let project = try folder.project()
        #expect(project.pipelineNames == ["shop"])
        // The file can go: everything was read when the project was loaded.
        try FileManager.default.removeItem(atPath: folder.path + "/sluice.toml")
        let pipeline = try project.pipeline("shop")
        #expect(pipeline.destination.name == "postgres" && pipeline.dataset == "raw")
        #expect(try project.pipeline("shop", destination: "sqlite").destination.name == "sqlite")
        let source = try project.source(forPipeline: "shop")
        #expect(source.resources.map(\.name) == ["orders"])
        #expect(source.resources[0].hints.writeDisposition == .merge && source.resources[0].hints.primaryKey == ["id"])
        #expect(throws: SluiceError.self) { try project.pipeline("shop", destination: "bigquery") }
        #expect(throws: SluiceError.self) { try project.pipeline("../etc") }
    }

    @Test func theEnvironmentWinsOverSecretsTomlWholeURLAndSingleKeys() throws {
        let folder = try Folder(sluice: Self.files, secrets: "[destination.postgres.credentials]\nhost = \"db.internal\"\npassword = \"file-pw-1234\"\n")
        defer { folder.cleanup() }
        let fromFile = try DestinationCatalog.postgresCredentials(try folder.project().secrets)
        #expect(fromFile.host == "db.internal" && fromFile.password == "file-pw-1234")
        let url = try DestinationCatalog.postgresCredentials(try folder.project(environment: [
            "DESTINATION__POSTGRES__CREDENTIALS": "postgresql://loader:env-pw-5678@warehouse:6543/analytics",
        ]).secrets)
        #expect(url.host == "warehouse" && url.port == 6543 && url.password == "env-pw-5678" && url.username == "loader")
        let key = try DestinationCatalog.postgresCredentials(try folder.project(environment: [
            "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD": "key-pw-9012",
        ]).secrets)
        #expect(key.host == "db.internal" && key.password == "key-pw-9012")
        let none = try Folder(sluice: Self.files)
        defer { none.cleanup() }
        #expect { try DestinationCatalog.postgresCredentials(try none.project().secrets) } throws: { error in
            "\(error)".contains("DESTINATION__POSTGRES__CREDENTIALS") && "\(error)".contains("[destination.postgres.credentials]")
        }
        #expect(try folder.project().secrets.allValues().contains("file-pw-1234"))
        // Settings that are not secrets stay readable: a row group size of 10000 must not mask "10000 rows".
        let masked = try folder.project(environment: [
            "DESTINATION__FILESYSTEM__ROW_GROUP_SIZE": "10000", "DESTINATION__FILESYSTEM__FILE_FORMAT": "parquet",
            "DESTINATION__FILESYSTEM__LAYOUT": "{table}/{load_id}.{file_id}.{ext}", "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD": "key-pw-9012",
        ]).secrets.allValues()
        #expect(masked.contains("key-pw-9012") && !masked.contains("10000") && !masked.contains("parquet") && !masked.contains { $0.contains("{table}") })
    }

    @Test func theDefaultFlowHasItsTasksWithTheirRetries() throws {
        let folder = try Folder(sluice: Self.files)
        defer { folder.cleanup() }
        let flow = try PipelineFlows.named("shop", try folder.project())
        #expect(flow.name == "shop")
        #expect(flow.tasks == ["run_shop (retries after 1s, 2s)", "command_shop (true, retries after 5s)"])
        #expect(throws: SluiceError.self) { try PipelineFlows.named("nope", try folder.project()) }
    }

    @Test func aBadFileIsAnErrorNamingFileTablePathAndKey() throws {
        let typo = try Folder(sluice: Self.files.replacingOccurrences(of: "write_disposition", with: "write_dispositon"))
        defer { typo.cleanup() }
        #expect { try typo.project() } throws: { error in
            "\(error)".contains("sluice.toml") && "\(error)".contains("[pipelines.shop.tables.orders] write_dispositon: unknown key (did you mean 'write_disposition'?)")
        }
        let wrongType = try Folder(sluice: Self.files.replacingOccurrences(of: "dataset = \"raw\"", with: "dataset = 3"))
        defer { wrongType.cleanup() }
        #expect { try wrongType.project() } throws: { error in "\(error)".contains("[pipelines.shop] dataset") }
    }

    @Test func aRegisteredSourceIsKnownToTheProject() throws {
        let folder = try Folder(sluice: "[pipelines.w]\nsource = \"weather\"\nstations = [\"oslo\"]\n")
        defer { folder.cleanup() }
        #expect(throws: SluiceError.self) { try folder.project() }  // unknown to the bundled catalog
        var sources = SourceCatalog.bundled
        sources.register("weather") { pipeline, _ in
            Source(name: "weather", resources: [Resource(name: "readings") { out in try await out.write(["station": "oslo"]) }])
        }
        let project = try folder.project(sources: sources)
        #expect(try project.source(forPipeline: "w").resources.map(\.name) == ["readings"])
    }
}

/// One mapping from table settings to hints, for every source.
@Suite("table settings")
struct TableSettingsTests {
    @Test func theSQLDatabaseSourceTakesExcludeHashAndContractFromSluiceToml() async throws {
        let folder = try ProjectTests.Folder(sluice: """
            [pipelines.app]
            source = "sql_database"
            sqlite = "SOURCE"

            [pipelines.app.hints.users]
            exclude = ["ssn"]
            hash = ["email"]
            contract = { columns = "freeze" }
            write_disposition = "replace"

            """, secrets: "[privacy]\nsalt = \"pepper-2026\"\n")
        defer { folder.cleanup() }
        let source = folder.path + "/app-source.sqlite"
        try run("/usr/bin/sqlite3", [source, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, ssn TEXT); INSERT INTO users VALUES (1, 'a@x.org', '123-45-6789');"])
        let toml = try String(contentsOfFile: folder.path + "/sluice.toml", encoding: .utf8).replacingOccurrences(of: "SOURCE", with: source)
        try toml.write(toFile: folder.path + "/sluice.toml", atomically: true, encoding: .utf8)
        let project = try folder.project()
        let resource = try #require(try project.source(forPipeline: "app").resources.first)
        #expect(resource.hints.writeDisposition == .replace)  // the setting wins over the catalog's merge by key
        #expect(resource.hints.columns["ssn"]?.privacy == .exclude && resource.hints.columns["email"]?.privacy == .hash)
        #expect(resource.hints.columns["email"]?.dataType == .text)  // the catalog's type stays
        #expect(resource.hints.contract?.columns == .freeze)
        let target = SQLiteDestination(path: folder.path + "/app.sqlite")
        var options = Pipeline.Configuration()
        options.workingDirectory = folder.path + "/.sluice"
        options.hashSalt = project.secrets.value(["privacy", "salt"])
        _ = try await Pipeline(name: "app", destination: target, configuration: options).run(try project.source(forPipeline: "app"))
        let rows = try target.withConnection { try $0.query("SELECT * FROM users") }
        let columns = try target.withConnection { try $0.columns(of: "users") }
        #expect(!columns.contains("ssn"))
        #expect(rows.first?.contains("a@x.org") == false)
        #expect(rows.first?.contains { ($0 ?? "").count == 64 } == true, "email is a SHA-256 hex")
    }

    @Test func hintsForATableThatIsNotReadAreAnError() throws {
        let folder = try ProjectTests.Folder(sluice: "[pipelines.app]\nsource = \"sql_database\"\nsqlite = \"SOURCE\"\n\n[pipelines.app.hints.userz]\nexclude = [\"ssn\"]\n")
        defer { folder.cleanup() }
        let source = folder.path + "/s.sqlite"
        try run("/usr/bin/sqlite3", [source, "CREATE TABLE users (id INTEGER PRIMARY KEY);"])
        try String(contentsOfFile: folder.path + "/sluice.toml", encoding: .utf8).replacingOccurrences(of: "SOURCE", with: source)
            .write(toFile: folder.path + "/sluice.toml", atomically: true, encoding: .utf8)
        #expect { try folder.project().source(forPipeline: "app") } throws: { "\($0)".contains("hints for table 'userz', which is not read (tables: users)") }
    }

    func run(_ program: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }
}
