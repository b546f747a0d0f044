import Foundation
import SluiceTesting
import Testing

/// The real `sluice serve`: a deployment due every second runs a few slots, then SIGTERM stops it cleanly.
@Suite("sluice serve", .serialized)
struct ServeCLITests {
    let cli = CLITests()

    func flowRuns(_ dir: String) throws -> [[String: Any]] {
        let out = try cli.sluice(["runs", "--deployment", "every_second", "--limit", "1000", "--json"], in: dir)
        return (try JSONSerialization.jsonObject(with: Data(out.output.utf8)) as? [[String: Any]]) ?? []
    }

    @Test func servesSlotsAndStopsCleanlyOnSIGTERM() async throws {
        let dir = try TemporaryDirectory.make("serve-cli")
        try "{\"id\":1}\n{\"id\":2}\n".write(toFile: dir + "/events.jsonl", atomically: true, encoding: .utf8)
        try """
            [pipelines.events]
            source = "files"

            [pipelines.events.tables.events]
            path = "events.jsonl"

            [deployments.every_second]
            flow = "events"
            schedules = [{ interval = 1 }]
            """.write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        let serve = try InterruptionCLITests.Started(["serve"], in: dir)
        let ranThree = try await InterruptionCLITests().until(8) {
            ((try? flowRuns(dir)) ?? []).filter { $0["state"] as? String == "Completed" }.count >= 3
        }
        serve.signal(SIGTERM)
        #expect(await serve.exit() == 0)
        #expect(ranThree)
        let runs = try flowRuns(dir)
        let completed = runs.filter { $0["state"] as? String == "Completed" }.compactMap { $0["scheduled_for"] as? String }
        #expect(completed.count >= 3)
        #expect(Set(completed).count == completed.count)  // one run per slot
        #expect(runs.filter { ["Running", "Pending", "Retrying"].contains($0["state"] as? String ?? "") }.isEmpty)
        // What was created ahead waits, Scheduled, for the next `sluice serve`.
        #expect(runs.contains { $0["state"] as? String == "Scheduled" })
    }
}
