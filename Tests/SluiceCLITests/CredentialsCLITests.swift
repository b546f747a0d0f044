import SluiceTesting
import Foundation
import Testing

/// Where Postgres credentials come from: the environment over secrets.toml (dlt's rule, for CI), and an
/// error naming the keys and variables when there are none.
@Suite("sluice command: Postgres credentials")
struct CredentialsCLITests {
    let cli = CLITests()
    static let connection = TestPostgres.connection

    /// Unsets every variable that could give credentials (an empty value counts as unset).
    static let noEnvironment = ["DESTINATION__POSTGRES__CREDENTIALS": ""]
        .merging(["HOST", "PORT", "DATABASE", "USERNAME", "PASSWORD"].map { ("DESTINATION__POSTGRES__CREDENTIALS__" + $0, "") }) { a, _ in a }

    func project() throws -> String {
        let dir = try cli.scratch()
        _ = FileManager.default.createFile(atPath: dir + "/e.jsonl", contents: Data("{\"id\":1}\n".utf8))
        return dir
    }

    @Test func noCredentialsAtAllIsAnErrorNamingKeysAndVariables() throws {
        let dir = try project()
        let result = try cli.sluice(["load", "e.jsonl", "--table", "e", "--destination", "postgres"], in: dir, environment: Self.noEnvironment)
        #expect(result.status != 0)
        for expected in ["no Postgres credentials", "[destination.postgres.credentials] host, port, database, username, password",
                         "DESTINATION__POSTGRES__CREDENTIALS (a connection string", "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD"] {
            #expect(result.output.contains(expected), "\(result.output)")
        }
        #expect(!result.output.contains("127.0.0.1"), "no silent default server")
    }

    @Test(.enabled(if: connection != nil || ProcessInfo.processInfo.environment["CI"] != nil, "needs the Postgres that scripts/test starts"))
    func theEnvironmentWinsOverSecretsToml() throws {
        let connection = try #require(Self.connection, "SLUICE_TEST_POSTGRES is not set: run the tests through scripts/test")
        var fields: [String: String] = [:]
        for pair in connection.split(separator: " ") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            fields[String(kv[0])] = String(kv[1])
        }
        let (host, port, db, user, password) = (fields["host"]!, fields["port"]!, fields["dbname"]!, fields["user"]!, fields["password"]!)
        let dir = try project()
        // secrets.toml points at the right server with a wrong password.
        try """
            [destination.postgres.credentials]
            host = "\(host)"
            port = \(port)
            database = "\(db)"
            username = "\(user)"
            password = "wrong-file-pw-3"
            """.write(toFile: dir + "/secrets.toml", atomically: true, encoding: .utf8)
        let dataset = "cred_" + UUID().uuidString.prefix(8).lowercased()
        let args = ["load", "e.jsonl", "--table", "e", "--destination", "postgres", "--dataset", dataset]
        let fileOnly = try cli.sluice(args, in: dir, environment: Self.noEnvironment)
        #expect(fileOnly.status != 0 && fileOnly.output.contains("password authentication failed"), "\(fileOnly.output)")
        // The whole URL in the environment replaces the file's table.
        let url = "postgresql://\(user):\(password)@\(host):\(port)/\(db)"
        let whole = try cli.sluice(args, in: dir, environment: Self.noEnvironment.merging(["DESTINATION__POSTGRES__CREDENTIALS": url]) { _, b in b })
        #expect(whole.status == 0, "\(whole.output)")
        // A single key in the environment wins over the file's value of it.
        let single = try cli.sluice(args, in: dir, environment: Self.noEnvironment.merging(["DESTINATION__POSTGRES__CREDENTIALS__PASSWORD": password]) { _, b in b })
        #expect(single.status == 0, "\(single.output)")
        for output in [fileOnly.output, whole.output, single.output] {
            #expect(!output.contains("wrong-file-pw-3") && !output.contains(password))
        }
    }
}
