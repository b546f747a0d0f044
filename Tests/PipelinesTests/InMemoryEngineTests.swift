import Foundation
import PipelineCore
import Pipelines
import SluiceTesting
import Testing

/// The engine and the normalizer on their own: what a load hands a destination, with no database between.
@Suite("Engine into the in-memory destination")
struct InMemoryEngineTests {
    func pipeline(_ destination: InMemoryDestination) throws -> Pipeline {
        var configuration = Pipeline.Configuration()
        configuration.workingDirectory = try TemporaryDirectory.make("memory") + "/.sluice"
        return Pipeline(name: "mem", destination: destination, dataset: "mem", configuration: configuration)
    }

    func source(_ rows: [Row], hints: ResourceHints = ResourceHints()) -> Source {
        Source(name: "s", resources: [Resource(name: "orders", hints: hints) { out in try await out.write(contentsOf: rows) }])
    }

    @Test func nestedListsBecomeChildRowsLinkedToTheirParent() async throws {
        let destination = InMemoryDestination()
        let rows: [Row] = [["id": .bigint(1), "items": .array([.object(["sku": .text("a")]), .object(["sku": .text("b")])])],
                           ["id": .bigint(2), "items": .array([])]]
        let info = try await pipeline(destination).run(source(rows))
        let orders = destination.rows("orders")
        let items = destination.rows("orders__items")
        #expect(orders.map { $0["id"] } == [.bigint(1), .bigint(2)])
        #expect(items.map { $0["sku"] } == [.text("a"), .text("b")])
        #expect(items.map { $0["_dlt_list_idx"] } == [.bigint(0), .bigint(1)])
        #expect(Set(items.compactMap { $0["_dlt_parent_id"] }) == [orders[0]["_dlt_id"]!])
        #expect(destination.loadIds == info.loadIds)
    }

    @Test func replaceEmptiesTheTableChainAndIncrementalRunsResumeFromTheStoredCursor() async throws {
        let destination = InMemoryDestination()
        let p = try pipeline(destination)
        let hints = ResourceHints(writeDisposition: .replace, incremental: Incremental(cursor: "id"))
        _ = try await p.run(source([["id": .bigint(1), "tags": .array([.text("x")])], ["id": .bigint(2)]], hints: hints))
        _ = try await p.run(source([["id": .bigint(2)], ["id": .bigint(3), "tags": .array([.text("y")])]], hints: hints))
        // The second run kept only id 3 (2 is not past the stored cursor), and replace dropped the first run's rows.
        #expect(destination.rows("orders").map { $0["id"] } == [.bigint(3)])
        #expect(destination.rows("orders__tags").map { $0["value"] } == [.text("y")])
        #expect(try await destination.storedState(pipeline: "mem") != nil)
    }

    @Test func mergeIsRefusedByTheTestDestinationNotSilentlyAppended() async throws {
        let destination = InMemoryDestination()
        await #expect(throws: SluiceError.self) {
            try await pipeline(destination).run(source([["id": .bigint(1)]], hints: ResourceHints(writeDisposition: .merge, primaryKey: ["id"])))
        }
        #expect(destination.rows("orders").isEmpty)
    }
}
