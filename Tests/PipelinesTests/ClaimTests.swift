import Foundation
import PipelineCore
import Pipelines
import Testing

/// A run's claims (a deployment's slot) commit with its rows; a claim already held is refused before extraction.
@Suite("State claims")
struct ClaimTests {
    func source(_ ids: [Int], claim: String) -> Source {
        var source = Source(name: "s", resources: [Resource(name: "events", hints: ResourceHints(writeDisposition: .append)) { out in
            try await out.write(contentsOf: ids.map { ["id": .bigint(Int64($0))] as Row })
        }])
        source.claims = ["daily/0": claim]
        return source
    }

    @Test func aClaimCommitsWithTheRowsAndTheSameOrAnEarlierSlotIsRefused() async throws {
        let t = TestPipeline(name: "claims")
        _ = try await t.pipeline.run(source([1, 2], claim: "2026-11-30T02:00:00Z"))
        for slot in ["2026-11-30T02:00:00Z", "2026-11-29T02:00:00Z"] {
            await #expect(throws: SluiceError.self) { try await t.pipeline.run(source([3], claim: slot)) }
        }
        #expect(try t.count("events") == 2)
        _ = try await t.pipeline.run(source([3], claim: "2026-12-01T02:00:00Z"))
        #expect(try t.count("events") == 3)
        let state = try #require(try await t.destination.storedState(pipeline: "claims"))
        #expect(state.resources[Source.stateKey]?.values["daily/0"] == "2026-12-01T02:00:00Z")
    }

    @Test func aClaimWithNoRowsStillCommits() async throws {
        let t = TestPipeline(name: "claims")
        _ = try await t.pipeline.run(source([], claim: "2026-11-30T02:00:00Z"))
        let state = try await t.destination.storedState(pipeline: "claims")
        #expect(state?.resources[Source.stateKey]?.values["daily/0"] == "2026-11-30T02:00:00Z")
        do {
            _ = try await t.pipeline.run(source([1], claim: "2026-11-30T02:00:00Z"))
            Issue.record("a held claim was not refused")
        } catch let error as SluiceError {
            #expect(error.code == .alreadyClaimed)
        }
    }
}
