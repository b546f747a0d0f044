import PipelineCore
import SluiceProject
import Testing

/// sluice.toml and secrets.toml are strict: every unknown key and wrongly typed value is an error naming
/// the file, the table path and the key.
@Suite("project schema")
struct ProjectSchemaTests {
    static let base = """
        [pipelines.t]
        source = "files"

        [pipelines.t.tables.items]
        path = "items.jsonl"

        """

    func issues(_ text: String, schema: ConfigSchema = ProjectSchema.sluiceToml, file: String = "sluice.toml") -> [String] {
        do {
            return try ProjectSchema.check(text, file: file, schema: schema, quoteErrors: file != "secrets.toml").1.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func theSampleProjectIsValid() {
        #expect(issues(Self.base).isEmpty)
    }

    @Test(arguments: [
        ("write_dispositon = \"merge\"", "sluice.toml: [pipelines.t.tables.items] write_dispositon: unknown key (did you mean 'write_disposition'?)"),
        ("primarykey = [\"id\"]", "sluice.toml: [pipelines.t.tables.items] primarykey: unknown key (did you mean 'primary_key'?)"),
        ("write_disposition = \"merj\"", "sluice.toml: [pipelines.t.tables.items] write_disposition: expected one of \"append\", \"replace\", \"merge\" (did you mean \"merge\"?)"),
        ("primary_key = \"id\"", "sluice.toml: [pipelines.t.tables.items] primary_key: expected a list of strings, got a string"),
        ("incremental = { cursor = \"at\", range_strat = \"open\" }", "sluice.toml: [pipelines.t.tables.items.incremental] range_strat: unknown key (did you mean 'range_start'?)"),
        ("incremental = { initial_value = \"1\" }", "sluice.toml: [pipelines.t.tables.items.incremental] cursor: missing: a string is required"),
        ("columns = { amount = \"dobule\" }", "sluice.toml: [pipelines.t.tables.items.columns] amount: expected one of \"text\", \"double\", \"bool\", \"timestamp\", \"bigint\", \"binary\", \"json\", \"decimal\", \"date\" (did you mean \"double\"?)"),
    ])
    func aTableTypoIsNamedWithItsPath(line: String, expected: String) {
        #expect(issues(Self.base + line + "\n") == [expected])
    }

    @Test func rangeStartIsSupported() {
        #expect(issues(Self.base + "incremental = { cursor = \"at\", range_start = \"open\" }\n").isEmpty)
    }

    @Test func pipelineLevelTyposAndSeveralAtOnce() {
        let text = """
            [pipelines.t]
            source = "files"
            destinaton = "postgres"
            [pipelines.t.tables.items]
            path = 3
            [pipelines.u]
            source = "file"
            [runs]
            retention_days = "30"
            """
        #expect(issues(text) == [
            "sluice.toml: [pipelines.t] destinaton: unknown key (did you mean 'destination'?)",
            "sluice.toml: [pipelines.t.tables.items] path: expected a string, got an integer",
            "sluice.toml: [pipelines.u] source: unknown source \"file\" (known: currencies, exchange_rates, files, github, nyc_taxi, products, rest_api, sql_database); did you mean \"files\"?",
            "sluice.toml: [runs] retention_days: expected an integer, got a string",
        ])
        // A command stops at the first, in one line, and says how many more there are.
        #expect(throws: (any Error).self) { try ProjectSchema.parse(text, file: "sluice.toml", schema: ProjectSchema.sluiceToml) }
        do { _ = try ProjectSchema.parse(text, file: "sluice.toml", schema: ProjectSchema.sluiceToml) } catch {
            #expect("\(error)" == "sluice.toml: [pipelines.t] destinaton: unknown key (did you mean 'destination'?) (and 3 more: `sluice check` lists them all)")
        }
        #expect(issues("[pipelines.\"../x\"]\nsource = \"files\"\n") == [
            "sluice.toml: [pipelines] ../x: pipeline name is not allowed: use 1 to 64 letters, digits, '_' or '-'"])
        #expect(issues("[pipeline.t]\nsource = \"files\"\n") == [
            "sluice.toml: top level pipeline: unknown key (did you mean 'pipelines'?)"])
    }

    @Test func secretsAreStrictButNeverShowValues() {
        let text = """
            [destination.postgres.credentials]
            host = "db"
            port = "5432x"
            passwrd = "hunter2-value"
            password = 20261130
            [sources.anything]
            whatever_key = "kept"
            """
        let found = issues(text, schema: ProjectSchema.secretsToml, file: "secrets.toml")
        #expect(found == [
            "secrets.toml: [destination.postgres.credentials] passwrd: unknown key (did you mean 'password'?)",
            "secrets.toml: [destination.postgres.credentials] port: expected an integer, got a string",
        ])
        #expect(!found.joined().contains("hunter2-value") && !found.joined().contains("5432x"))
        // A syntax error does not quote the line either.
        let syntax = issues("[privacy]\nsalt = \"unterminated-secret-9\n", schema: ProjectSchema.secretsToml, file: "secrets.toml")
        #expect(syntax.count == 1 && syntax[0].hasPrefix("secrets.toml:2: invalid TOML") && !syntax[0].contains("unterminated-secret-9"))
    }
}
