import Destinations
import Foundation
import DatabaseClients
import PipelineCore
import Pipelines
import Sources
import SluiceTesting
import Testing

/// A pipeline loading into a fresh Postgres schema, with its working directory in a temporary folder.
struct PostgresPipeline {
    let dir: String
    let destination: PostgresDestination
    let pipeline: Pipeline

    init() throws {
        self.init(dataset: "t_" + UUID().uuidString.prefix(8).lowercased(), name: "pg", credentials: try TestPostgres.credentials())
    }

    /// A pipeline named `name` into `dataset`, with its own working directory.
    init(dataset: String, name: String, credentials: PostgresCredentials? = nil) {
        dir = try! TemporaryDirectory.make("pg")
        destination = PostgresDestination(credentials: credentials ?? (try! TestPostgres.credentials()), dataset: dataset)
        var configuration = Pipeline.Configuration()
        configuration.workingDirectory = dir + "/.sluice"
        pipeline = Pipeline(name: name, destination: destination, dataset: dataset, configuration: configuration)
    }

    @discardableResult
    func run(_ table: String, _ rows: [Row], hints: ResourceHints = ResourceHints()) async throws -> LoadInfo {
        try await pipeline.run(Source(name: "t", resources: [Resource(name: table, hints: hints) { out in
            try await out.write(contentsOf: rows)
        }]))
    }

    func query(_ sql: String) throws -> [[String]] {
        try destination.withConnection { try $0.query(sql).map { $0.map { $0 ?? "NULL" } } }
    }

    func table(_ name: String) -> String { "\"\(destination.dataset)\".\"\(name)\"" }
}

@Suite("Postgres destination against a real server", .enabled(if: TestPostgres.available))
struct PostgresTests {
    @Test func everyTypeRoundTrips() async throws {
        let p = try PostgresPipeline()
        var hints = ResourceHints()
        hints.columns["payload"] = ColumnHint(dataType: .json)
        let row: Row = [
            "big": .bigint(Int64.max), "neg": .bigint(-42), "dbl": .double(0.1), "flag": .bool(true), "txt": "héllo \"q\" ☃",
            "at": "2024-01-02T03:04:05.123456Z", "day": .date(19724), "exact": .decimal("-1234567890123456789012345.0012"),
            "small": .decimal("0.0001"), "raw": .binary([0, 1, 255]), "payload": .object(["k": .array([1, 2])]),
        ]
        try await p.run("types", [row], hints: hints)
        let got = try p.query("""
            SELECT big::text, neg::text, dbl::text, flag::text, txt, at AT TIME ZONE 'UTC', day::text, exact::text, small::text,
                   encode(raw, 'hex'), payload::text FROM \(p.table("types"))
            """)[0]
        #expect(got == [String(Int64.max), "-42", "0.1", "true", "héllo \"q\" ☃", "2024-01-02 03:04:05.123456", "2024-01-02",
                        "-1234567890123456789012345.0012", "0.0001", "0001ff", #"{"k": [1, 2]}"#])
        let types = try p.query("""
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = '\(p.destination.dataset)' AND table_name = 'types' ORDER BY column_name
            """)
        let byName = Dictionary(uniqueKeysWithValues: types.map { ($0[0], $0[1]) })
        #expect(byName["big"] == "bigint" && byName["dbl"] == "double precision" && byName["flag"] == "boolean")
        #expect(byName["at"] == "timestamp with time zone" && byName["day"] == "date" && byName["exact"] == "numeric")
        #expect(byName["raw"] == "bytea" && byName["payload"] == "jsonb" && byName["txt"] == "text")
    }

    @Test func nestedDataEvolutionAndReplace() async throws {
        let p = try PostgresPipeline()
        try await p.run("issues", [["id": 1, "labels": .array([.object(["name": "bug"])])]])
        try await p.run("issues", [["id": 2, "extra": "new", "labels": .array([.object(["name": "ui"]), .object(["name": "x"])])]])
        #expect(try p.query("SELECT id, coalesce(extra, '-') FROM \(p.table("issues")) ORDER BY id") == [["1", "-"], ["2", "new"]])
        #expect(try p.query("""
            SELECT i.id, l.name FROM \(p.table("issues__labels")) l JOIN \(p.table("issues")) i ON l._dlt_parent_id = i._dlt_id
            ORDER BY i.id, l._dlt_list_idx
            """) == [["1", "bug"], ["2", "ui"], ["2", "x"]])
        try await p.run("issues", [["id": 3]], hints: ResourceHints(writeDisposition: .replace))
        #expect(try p.query("SELECT id FROM \(p.table("issues"))") == [["3"]])
        #expect(try p.query("SELECT count(*) FROM \(p.table("issues__labels"))") == [["0"]])
    }

    @Test func sqlScriptsRunInTheDatasetInOneTransaction() async throws {
        let p = try PostgresPipeline()
        try await p.run("orders", [["id": 1, "amount": 5], ["id": 2, "amount": 7]])
        // Bare table names resolve in the dataset (schema), as a flow's SQL task expects.
        try await p.destination.runScript("CREATE TABLE totals AS SELECT sum(amount) AS total FROM orders;", name: "sql/totals.sql")
        #expect(try p.query("SELECT total FROM \(p.table("totals"))") == [["12"]])
        // A failing statement undoes the whole file and the error names it.
        let error = await #expect(throws: SluiceError.self) {
            try await p.destination.runScript("DELETE FROM totals; SELECT * FROM missing_table;", name: "sql/broken.sql")
        }
        #expect(error?.file == "sql/broken.sql")
        #expect(try p.query("SELECT total FROM \(p.table("totals"))") == [["12"]])
    }

    @Test(arguments: [MergeStrategy.deleteInsert, .upsert])
    func mergeByPrimaryKey(strategy: MergeStrategy) async throws {
        let p = try PostgresPipeline()
        var h = ResourceHints(writeDisposition: .merge, primaryKey: ["id"])
        h.mergeStrategy = strategy
        try await p.run("users", [["id": 1, "name": "a", "tags": .array(["x"])], ["id": 2, "name": "b"]], hints: h)
        try await p.run("users", [["id": 1, "name": "a2", "tags": .array(["y"])], ["id": 3, "name": "c"], ["id": 3, "name": "c2"]], hints: h)
        #expect(try p.query("SELECT id, name FROM \(p.table("users")) ORDER BY id") == [["1", "a2"], ["2", "b"], ["3", "c2"]])
        #expect(try p.query("SELECT value FROM \(p.table("users__tags"))") == [["y"]])
    }

    @Test func scd2History() async throws {
        let p = try PostgresPipeline()
        var h = ResourceHints(writeDisposition: .merge)
        h.mergeStrategy = .scd2
        try await p.run("customers", [["id": 1, "city": "Oslo"], ["id": 2, "city": "Rome"]], hints: h)
        try await p.run("customers", [["id": 1, "city": "Bergen"]], hints: h)
        #expect(try p.query("""
            SELECT id, city, (_dlt_valid_to IS NULL)::text FROM \(p.table("customers")) ORDER BY id, _dlt_valid_from
            """) == [["1", "Oslo", "false"], ["1", "Bergen", "true"], ["2", "Rome", "false"]])
    }

    @Test func stateIsRestoredFromPostgresOnAFreshWorkingDirectory() async throws {
        let p = try PostgresPipeline()
        let h = ResourceHints(primaryKey: ["id"], incremental: Incremental(cursor: "id"))
        try await p.run("events", (1...5).map { ["id": .bigint(Int64($0))] }, hints: h)
        try FileManager.default.removeItem(atPath: p.dir + "/.sluice")
        let info = try await p.run("events", (1...7).map { ["id": .bigint(Int64($0))] }, hints: h)
        #expect(info.rows(in: "events") == 2)
        #expect(try p.query("SELECT count(*), count(DISTINCT id) FROM \(p.table("events"))") == [["7", "7"]])
    }

    @Test func aFailedLoadRollsBackAndTheNextRunCompletesIt() async throws {
        let p = try PostgresPipeline()
        try await p.run("orders", [["id": 1]])
        try p.destination.withConnection { db in
            try db.execute("""
                CREATE FUNCTION "\(p.destination.dataset)".boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql;
                CREATE TRIGGER boom BEFORE INSERT ON \(p.table("orders")) FOR EACH ROW EXECUTE FUNCTION "\(p.destination.dataset)".boom();
                """)
        }
        await #expect(throws: SluiceError.self) { try await p.run("orders", [["id": 2, "note": "x"]]) }
        #expect(try p.query("SELECT count(*) FROM \(p.table("orders"))") == [["1"]])
        #expect(try p.query("SELECT count(*) FROM information_schema.columns WHERE table_schema = '\(p.destination.dataset)' AND column_name = 'note'") == [["0"]])
        try p.destination.withConnection { try $0.execute("DROP TRIGGER boom ON \(p.table("orders"))") }
        let info = try await p.run("orders", [["id": 3]])
        #expect(info.packages.count == 2 && info.packages[0].resumed)
        #expect(try p.query("SELECT id FROM \(p.table("orders")) ORDER BY id") == [["1"], ["2"], ["3"]])
    }

    @Test func connectionErrorsAreClearAndNeverShowThePassword() async throws {
        var wrong = try TestPostgres.credentials()
        wrong.password = "not-the-password-7f3a"
        let refused = PostgresDestination(credentials: wrong, dataset: "x")
        do {
            _ = try await refused.storedSchema(named: "x")
            Issue.record("connected with a wrong password")
        } catch {
            #expect("\(error)".contains("cannot connect to Postgres at sluice@127.0.0.1"))
            #expect("\(error)".contains("password authentication failed"))
            #expect(!"\(error)".contains("not-the-password-7f3a"))
        }
        var closed = try TestPostgres.credentials()
        closed.port = 1
        var unreachable = PostgresDestination(credentials: closed, dataset: "x")
        unreachable.connectRetryDelays = [.milliseconds(10), .milliseconds(10)]
        do {
            _ = try await unreachable.storedSchema(named: "x")
            Issue.record("connected to a closed port")
        } catch {
            // Refused may pass (a server restarting): retried, then reported as transient.
            #expect("\(error)".contains("cannot connect") && "\(error)".contains("127.0.0.1:1"))
            #expect("\(error)".contains("(after 2 retries)") && (error as? SluiceError)?.code == .transient)
        }
        #expect(!"\(try TestPostgres.credentials())".contains("password"))
    }

    @Test func credentialsParse() throws {
        let url = try PostgresCredentials(connectionString: "postgresql://loader:p%40ss@db.internal:6543/analytics?sslmode=require")
        #expect(url.username == "loader" && url.password == "p@ss" && url.host == "db.internal" && url.port == 6543)
        #expect(url.database == "analytics" && url.sslmode == "require")
        #expect(url.description == "loader@db.internal:6543/analytics")
    }
}

@Suite("Postgres faults", .enabled(if: TestPostgres.available), .serialized)
struct PostgresFaultTests {
    static func rows(_ n: Int) -> [Row] {
        (1...n).map { ["id": .bigint(Int64($0)), "name": .text("row \($0) with some text to make it longer"), "v": .double(Double($0) / 3)] }
    }

    func pipeline(_ p: PostgresPipeline, destination: PostgresDestination, retries: [Duration]) -> Pipeline {
        var configuration = Pipeline.Configuration()
        configuration.workingDirectory = p.dir + "/.sluice"
        configuration.loadRetryDelays = retries
        return Pipeline(name: "pg", destination: destination, dataset: p.destination.dataset, configuration: configuration)
    }

    func source(_ rows: [Row]) -> Source {
        Source(name: "t", resources: [Resource(name: "big") { out in try await out.write(contentsOf: rows) }])
    }

    @Test func aStatementTimeoutRollsBackAndTheNextRunCompletes() async throws {
        let p = try PostgresPipeline()
        var hasty = p.destination
        hasty.statementTimeout = .milliseconds(1)
        await #expect {
            try await pipeline(p, destination: hasty, retries: [.milliseconds(1)]).run(source(Self.rows(200_000)))
        } throws: { error in
            let e = error as! SluiceError
            return e.code == .destination && "\(e)".contains("statement timeout") && e.stage == "load"
        }
        #expect(try p.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = '\(p.destination.dataset)' AND table_name = 'big'") == [["0"]])
        let info = try await pipeline(p, destination: p.destination, retries: []).run(source([]))
        #expect(info.packages.first?.resumed == true)
        #expect(try p.query("SELECT count(*), count(DISTINCT id) FROM \(p.table("big"))") == [["200000", "200000"]])
    }

    /// Makes the next insert into `big` terminate its own session, once: what a server restart does to
    /// a load in flight. A sequence counts the firings because it survives the rollback.
    func dropTheConnectionOnce(_ p: PostgresPipeline) async throws {
        _ = try await pipeline(p, destination: p.destination, retries: []).run(source(Self.rows(1)))
        let ds = "\"\(p.destination.dataset)\""
        try p.destination.withConnection { db in
            try db.execute("""
                CREATE SEQUENCE \(ds).drop_once;
                CREATE FUNCTION \(ds).drop_connection() RETURNS trigger AS $$
                BEGIN
                  IF nextval('\(p.destination.dataset).drop_once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
                  RETURN NEW;
                END $$ LANGUAGE plpgsql;
                CREATE TRIGGER drop_connection BEFORE INSERT ON \(p.table("big")) FOR EACH ROW EXECUTE FUNCTION \(ds).drop_connection();
                """)
        }
    }

    @Test func aDroppedConnectionIsRetriedAndLoadsExactlyOnce() async throws {
        let p = try PostgresPipeline()
        try await dropTheConnectionOnce(p)
        let info = try await pipeline(p, destination: p.destination, retries: [.milliseconds(50)]).run(source(Self.rows(20_000)))
        #expect(info.rows(in: "big") == 20_000)
        // The trigger fired (the first try died) and the retry loaded every row once: 1 + 20,000 rows.
        #expect(try p.query("SELECT is_called::text FROM \"\(p.destination.dataset)\".drop_once") == [["true"]])
        #expect(try p.query("SELECT count(*), count(DISTINCT (id, _dlt_load_id)) FROM \(p.table("big"))") == [["20001", "20001"]])
    }

    @Test func withoutRetriesTheDroppedLoadStaysPendingForTheNextRun() async throws {
        let p = try PostgresPipeline()
        try await dropTheConnectionOnce(p)
        await #expect {
            try await pipeline(p, destination: p.destination, retries: []).run(source(Self.rows(20_000)))
        } throws: { error in
            let e = error as! SluiceError
            return e.code == .transient && e.stage == "load"
        }
        #expect(p.pipeline.pendingPackages().normalized.count == 1)
        let info = try await pipeline(p, destination: p.destination, retries: []).run(source([]))
        #expect(info.packages.first?.resumed == true)
        #expect(try p.query("SELECT count(*) FROM \(p.table("big"))") == [["20001"]])
    }
}

@Suite("Postgres long identifiers", .enabled(if: TestPostgres.available))
struct PostgresIdentifierTests {
    @Test func namesLongerThan63BytesStayDistinct() async throws {
        let p = try PostgresPipeline()
        let stem = String(repeating: "very_long_column_name_", count: 3)  // 66 bytes before the suffix
        let a = stem + "alpha_ending_x", b = stem + "beta_ending_y"
        try await p.run("t", [["id": 1, .init(stringLiteral: a): 1, .init(stringLiteral: b): 2] as Row])
        try await p.run("t", [["id": 2, .init(stringLiteral: a): 3, .init(stringLiteral: b): 4, "late": "x"] as Row])
        let columns = try p.query("""
            SELECT column_name FROM information_schema.columns WHERE table_schema = '\(p.destination.dataset)' AND table_name = 't'
            """).map { $0[0] }
        #expect(columns.count == 6)  // id, two long ones, _dlt_load_id, _dlt_id, late
        #expect(columns.allSatisfy { $0.utf8.count <= 63 })
        let physicalA = PostgresDestination.physical(a), physicalB = PostgresDestination.physical(b)
        #expect(physicalA != physicalB && physicalA.hasPrefix("very_long") && physicalA.hasSuffix("ending_x"))
        #expect(try p.query("SELECT \"\(physicalA)\", \"\(physicalB)\" FROM \(p.table("t")) ORDER BY id") == [["1", "2"], ["3", "4"]])
    }

    @Test(.enabled(if: SharedMaterial.shouldRun("dlt_cases/inputs"), "needs ../shared/dlt_cases/inputs beside the repository"))
    func dltsWideNestedGitHubEventsLoad() async throws {
        let path = try SharedMaterial.require("dlt_cases/inputs/github.events.load_page_1_duck.json")
        let p = try PostgresPipeline()
        let info = try await p.pipeline.run(Source(name: "f", resources: [try FileResource.make(name: "events", paths: [path])]))
        let schema = try #require(try await p.destination.storedSchema(named: "pg"))
        // Every table of the schema exists with every column, and holds the rows the load reported.
        for table in schema.dataTables {
            let count = try p.query("SELECT count(*) FROM \(p.destination.qualified(table.name))")[0][0]
            #expect(Int(count) == info.rows(in: table.name), "\(table.name)")
            let physical = try p.query("""
                SELECT count(*) FROM information_schema.columns WHERE table_schema = '\(p.destination.dataset)'
                AND table_name = '\(PostgresDestination.physical(table.name))'
                """)[0][0]
            #expect(Int(physical) == table.columns.count, "\(table.name)")
        }
        #expect(schema.dataTables.count > 5)
    }
}
