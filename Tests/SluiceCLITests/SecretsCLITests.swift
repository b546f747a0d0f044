import Foundation
import SluiceTesting
import Testing

/// Every value of secrets.toml (any TOML type) and of its environment overrides stays out of the
/// console, the run store, `runs --json` and the webhook, whatever the key is called.
@Suite("sluice command: secrets")
struct SecretsCLITests {
    let cli = CLITests()

    static let pemLines = ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
                           "bm90LWEtcmVhbC1rZXktYnV0LWxvbmctZW5vdWdoLXRvLWNvdW50"]
    /// Values a failing command prints; none may be seen again.
    static let secretValues = ["20261130", "pw-passwd-value", "pw-pwd-value", "bearer-token-value", "cs-value-123",
                               "env-thing-value"] + pemLines + ["webhook-token-9"]

    @Test func everySecretValueIsMaskedEverywhere() throws {
        let server = try OneShotHTTPServer()
        let url = "http://127.0.0.1:\(server.port)/hook/webhook-token-9"
        let dir = try cli.scratch()
        _ = FileManager.default.createFile(atPath: dir + "/items.jsonl", contents: Data(#"{"id":1}"#.utf8 + [0x0A]))
        let pem = "-----BEGIN PRIVATE KEY-----\n" + Self.pemLines.joined(separator: "\n") + "\n-----END PRIVATE KEY-----"
        try """
            [sources.crm]
            host = "db.example.internal"
            password = 20261130
            passwd = "pw-passwd-value"
            pwd = "pw-pwd-value"
            bearer = "bearer-token-value"
            client_secret = "cs-value-123"
            private_key = \"\"\"
            \(pem)\"\"\"

            [notifications.webhook]
            url = "\(url)"
            """.write(toFile: dir + "/secrets.toml", atomically: true, encoding: .utf8)
        // The command prints every secret: plainly, the key line by line, and JSON-escaped.
        let escaped = String(decoding: try JSONSerialization.data(withJSONObject: ["key": pem]), as: UTF8.self)
        try (Self.secretValues.dropLast(1).map { "leaked \($0)" } + [pem, escaped, url, "host is db.example.internal\n"]).joined(separator: "\n")
            .write(toFile: dir + "/leak.txt", atomically: true, encoding: .utf8)
        try """
            [pipelines.crm]
            source = "files"
            [pipelines.crm.tables.items]
            path = "items.jsonl"
            [pipelines.crm.flow]
            retries = []
            command = ["/bin/sh", "-c", "cat leak.txt; cat leak.txt >&2; echo failing: $(cat leak.txt | head -1); exit 3"]
            """.write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)

        let env = ["SOURCES__CRM__THING": "env-thing-value"]
        let run = try cli.sluice(["flow", "run", "crm", "-v"], in: dir, environment: env)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("leaked ***"))
        #expect(run.output.contains("host is db.example.internal"), "a non-secret key stays readable")
        let json = try cli.sluice(["runs", "--json"], in: dir, environment: env)
        #expect(json.output.contains("Failed"))
        let runs = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]]
        let id = try #require(runs?.first?["id"] as? String)
        let logs = try cli.sluice(["logs", id], in: dir)
        #expect(logs.output.contains("leaked ***"), "\(logs.output)")
        let store = try Data(contentsOf: URL(fileURLWithPath: dir + "/.sluice/runs.sqlite"))
            + ((try? Data(contentsOf: URL(fileURLWithPath: dir + "/.sluice/runs.sqlite-wal"))) ?? Data())
        let body = String(decoding: server.request()?.body ?? Data(), as: UTF8.self)
        #expect(body.contains("Failed"), "the webhook was called: \(body)")
        for (place, text) in [("console", run.output), ("runs --json", json.output), ("logs", logs.output),
                              ("runs.sqlite", String(decoding: store, as: UTF8.self)), ("webhook", body)] {
            for secret in Self.secretValues {
                #expect(!text.contains(secret), "\(secret) in \(place)")
            }
        }
    }
}
