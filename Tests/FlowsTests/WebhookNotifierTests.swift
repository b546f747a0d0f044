import Foundation
import Synchronization
import SluiceTesting
import Testing

@testable import Flows

#if canImport(Glibc)
import Glibc
#endif

@Suite("webhook notifier")
struct WebhookNotifierTests {
    @Test func aFailedRunPostsItsReportWithSecretsRedacted() async throws {
        let server = try OneShotHTTPServer()
        var configuration = FlowRunner.Configuration()
        configuration.redactor = Redactor(secrets: ["tok-123456"])
        configuration.notifiers = [WebhookNotifier(url: URL(string: "http://127.0.0.1:\(server.port)/hooks/tok-123456")!)]
        let runner = FlowRunner(store: InMemoryRunStore(), configuration: configuration)
        let run = await runner.run(Flow<NoParameters, Int>("nightly") { _ in throw ParameterError("upstream said tok-123456 is invalid") },
                                   parameters: NoParameters())
        #expect(run.state == .failed)
        let request = try #require(server.request())
        #expect(request.head.hasPrefix("POST /hooks/tok-123456 HTTP/1.1"))
        let json = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
        #expect(json["flow"] as? String == "nightly")
        #expect(json["run_id"] as? String == run.id)
        #expect(json["state"] as? String == "Failed")
        #expect(json["error"] as? String == "upstream said *** is invalid")
    }

    @Test func aFailingEndpointIsLoggedWithoutItsURL() async throws {
        let server = try OneShotHTTPServer(status: 500)
        var configuration = FlowRunner.Configuration()
        configuration.notifiers = [WebhookNotifier(url: URL(string: "http://127.0.0.1:\(server.port)/secret-path")!)]
        let runner = FlowRunner(store: InMemoryRunStore(), configuration: configuration)
        let run = await runner.run(Flow<NoParameters, Int>("nightly") { _ in throw ParameterError("x") }, parameters: NoParameters())
        _ = server.request()
        let logs = try await runner.store.logs(ofFlowRun: run.id).map(\.message)
        #expect(logs.contains("notifier webhook failed: the webhook answered HTTP 500"))
        #expect(!logs.joined().contains("secret-path"))
        #expect(run.state == .failed, "a notifier's failure does not change the run")
    }
}
