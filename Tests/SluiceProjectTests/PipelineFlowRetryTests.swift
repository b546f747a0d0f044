import Flows
import Foundation
import PipelineCore
import SluiceProject
import SluiceTesting
import Testing

/// The default flow's `run_<p>` task retries what may pass (10, 30, 90 s) and fails at once on what a
/// retry cannot fix: here a REST API's 404 (code `refused`), through a real loopback server.
@Suite("pipeline flow retries")
struct PipelineFlowRetryTests {
    /// A `rest_api` pipeline over `server`: users, and each user's orders at `ordersPath`.
    static func project(_ server: FixtureHTTPServer, ordersPath: String, folder: ProjectTests.Folder) throws -> Project {
        try """
            [destination.sqlite]
            path = "\(folder.path)/{pipeline}.sqlite"

            [pipelines.shop]
            source = "rest_api"

            [pipelines.shop.client]
            base_url = "\(server.baseURL)/v1/"
            max_attempts = 1

            [pipelines.shop.resources.users]

            [pipelines.shop.resources.orders]
            path = "\(ordersPath)"

            """.write(toFile: folder.path + "/sluice.toml", atomically: true, encoding: .utf8)
        return try folder.project()
    }

    /// Runs the default flow of `shop` on a clock that records the retries' waits instead of sleeping.
    static func runFlow(_ project: Project) async throws -> (state: RunState, waits: [Duration]) {
        let clock = FastForwardClock()
        var configuration = FlowRunner.Configuration()
        configuration.clock = clock
        let run = try await PipelineFlows.named("shop", project).run(FlowRunner(store: InMemoryRunStore(), configuration: configuration))
        return (run.state, clock.sleeps)
    }

    static func api(down: Bool = false) throws -> FixtureHTTPServer {
        try FixtureHTTPServer { request, _ in
            if down { return .status(503) }
            switch request.path {
            case "/v1/users": return .json(#"[{"id": 1}]"#)
            case "/v1/users/1/orders": return .json(#"[{"order": 10}]"#)
            default: return .json(#"{"message": "Not Found"}"#, status: 404)
            }
        }
    }

    @Test func aNotFoundFailsTheFlowAtOnce() async throws {
        let server = try Self.api()
        defer { server.stop() }
        let folder = try ProjectTests.Folder(sluice: "")
        defer { folder.cleanup() }
        let project = try Self.project(server, ordersPath: "users/{resources.users.id}/ordrs", folder: folder)
        let (state, waits) = try await Self.runFlow(project)
        #expect(state == .failed)
        #expect(waits.isEmpty)  // no task retry
        #expect(server.requests.map(\.path) == ["/v1/users", "/v1/users/1/ordrs"])
    }

    @Test func aServerErrorIsRetriedByTheFlow() async throws {
        let server = try Self.api(down: true)
        defer { server.stop() }
        let folder = try ProjectTests.Folder(sluice: "")
        defer { folder.cleanup() }
        let project = try Self.project(server, ordersPath: "users/{resources.users.id}/orders", folder: folder)
        let (state, waits) = try await Self.runFlow(project)
        #expect(state == .failed)
        #expect(waits == [.seconds(10), .seconds(30), .seconds(90)])  // the default task retries
        #expect(server.requests.count == 4)
    }

    @Test func theRightPathLoads() async throws {
        let server = try Self.api()
        defer { server.stop() }
        let folder = try ProjectTests.Folder(sluice: "")
        defer { folder.cleanup() }
        let project = try Self.project(server, ordersPath: "users/{resources.users.id}/orders", folder: folder)
        #expect(try await Self.runFlow(project).state == .completed)
    }
}
