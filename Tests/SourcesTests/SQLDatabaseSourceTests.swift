import SluiceTesting
import DatabaseClients
import Destinations
import Foundation
import PipelineCore
import Pipelines
import Sources
import Testing

@Suite("SQL database source", .enabled(if: TestPostgres.available), .serialized)
struct SQLDatabaseSourceTests {
    func scratch() throws -> String {
        try TemporaryDirectory.make("sql")
    }

    func pipeline(_ dir: String, into destination: any Destination) -> Pipeline {
        var c = Pipeline.Configuration()
        c.workingDirectory = dir + "/.sluice"
        return Pipeline(name: "shop", destination: destination, configuration: c)
    }

    @Test func postgresProductsMergeIncrementallyIntoSQLite() async throws {
        let credentials = try TestPostgres.credentials()
        let schema = "shop_" + UUID().uuidString.prefix(8).lowercased()
        let pg = try PostgresConnection(credentials)
        try pg.execute("""
            CREATE SCHEMA \(schema);
            CREATE TABLE \(schema).products (id bigint PRIMARY KEY, name text NOT NULL, price numeric(12,2), stock integer,
              active boolean, attrs jsonb, updated_at timestamptz NOT NULL);
            INSERT INTO \(schema).products VALUES
              (1, 'pen', 1.50, 10, true, '{"color": "blue"}', '2024-01-01 10:00:00+00'),
              (2, 'ink', 12.00, 0, false, NULL, '2024-01-02 10:00:00+00');
            """)
        let dir = try scratch()
        let sqlite = SQLiteDestination(path: dir + "/shop.sqlite")
        let settings = try JSONSerialization.data(withJSONObject: ["credentials": TestPostgres.connection!, "schema": schema])
        let first = try await pipeline(dir, into: sqlite).run(try SQLDatabaseSource.products(pipeline: "shop", settings: settings))
        #expect(first.rows(in: "products") == 2)
        // Types come from the catalog, not from inference; the primary key became the merge key.
        let table = try #require(try await sqlite.storedSchema(named: "shop")?.table(named: "products"))
        #expect(table.column(named: "price")?.dataType == .decimal && table.column(named: "stock")?.dataType == .bigint)
        #expect(table.column(named: "attrs")?.dataType == .json && table.column(named: "updated_at")?.dataType == .timestamp)
        #expect(table.primaryKey == ["id"] && table.writeDisposition == .merge && table.column(named: "name")?.nullable == false)
        // An update and an insert after the cursor: only they are read, and merged by key.
        try pg.execute("""
            UPDATE \(schema).products SET price = 1.75, updated_at = '2024-01-03 10:00:00+00' WHERE id = 1;
            INSERT INTO \(schema).products VALUES (3, 'pad', 3.00, 5, true, '{"size": [1, 2]}', '2024-01-04 10:00:00+00');
            """)
        let second = try await pipeline(dir, into: sqlite).run(try SQLDatabaseSource.products(pipeline: "shop", settings: settings))
        #expect(second.rows(in: "products") == 2)
        let rows = try sqlite.withConnection { try $0.query("SELECT id, name, price, attrs, updated_at FROM products ORDER BY id") }
        #expect(rows == [
            ["1", "pen", "1.75", #"{"color":"blue"}"#, "2024-01-03T10:00:00+00:00"],
            ["2", "ink", "12.00", nil, "2024-01-02T10:00:00+00:00"],
            ["3", "pad", "3.00", #"{"size":[1,2]}"#, "2024-01-04T10:00:00+00:00"],
        ])
    }

    @Test func sqliteTablesLoadIncrementallyIntoPostgres() async throws {
        let dir = try scratch()
        let source = try SQLiteConnection(path: dir + "/app.sqlite")
        try source.execute("""
            CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total REAL, paid BOOLEAN, placed_at TIMESTAMP);
            CREATE TABLE notes (body TEXT);
            INSERT INTO orders VALUES (1, 'ann', 10.5, 1, '2024-01-01T00:00:00+00:00'), (2, 'bo', 20, 0, '2024-01-02T00:00:00+00:00');
            INSERT INTO notes VALUES ('hello');
            """)
        let dataset = "app_" + UUID().uuidString.prefix(8).lowercased()
        let pg = PostgresDestination(credentials: try TestPostgres.credentials(), dataset: dataset)
        let incremental = ["orders": Incremental(cursor: "placed_at")]
        let run = { try await pipeline(dir, into: pg).run(try SQLDatabaseSource.source(.sqlite(path: dir + "/app.sqlite"), incremental: incremental)) }
        let first = try await run()
        #expect(first.rows(in: "orders") == 2 && first.rows(in: "notes") == 1)
        try source.execute("INSERT INTO orders VALUES (3, 'cy', 5, 1, '2024-01-03T00:00:00+00:00')")
        let second = try await run()
        #expect(second.rows(in: "orders") == 1)
        let rows = try pg.withConnection {
            try $0.query("SELECT id::text, customer, total::text, paid::text FROM \(dataset).orders ORDER BY id").map { $0.map { $0 ?? "NULL" } }
        }
        #expect(rows == [["1", "ann", "10.5", "true"], ["2", "bo", "20", "false"], ["3", "cy", "5", "true"]])
        let types = try pg.withConnection {
            try $0.query("SELECT data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'orders' AND column_name = 'placed_at'", [dataset])
        }
        #expect(types == [["timestamp with time zone"]])
    }

    @Test func unknownTablesAndMissingCredentialsAreClear() throws {
        #expect {
            try SQLDatabaseSource.source(.postgres(try TestPostgres.credentials(), schema: "public"), tables: ["nope"])
        } throws: { "\($0)".contains("no table 'nope'") }
        #expect {
            try SQLDatabaseSource.products(pipeline: "shop", settings: Data("{}".utf8))
        } throws: { "\($0)".contains("[sources.shop] credentials") }
    }
}
