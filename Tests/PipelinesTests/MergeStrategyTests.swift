import Foundation
import PipelineCore
import Pipelines
import Testing

@Suite("merge strategies on real SQLite")
struct MergeStrategyTests {
    func hints(_ strategy: MergeStrategy, key: [String] = ["id"], mergeKey: [String] = [], hardDelete: String? = nil) -> ResourceHints {
        var h = ResourceHints(writeDisposition: .merge, primaryKey: key, mergeKey: mergeKey)
        h.mergeStrategy = strategy
        if let hardDelete { h.columns[hardDelete] = ColumnHint(hardDelete: true) }
        return h
    }

    func rows(_ t: TestPipeline, _ sql: String) throws -> [[String]] {
        try t.query(sql).map { $0.map { $0 ?? "NULL" } }
    }

    @Test func upsertUpdatesInPlaceAndInsertsNewKeys() async throws {
        let t = TestPipeline()
        let h = hints(.upsert)
        try await t.run("users", [["id": 1, "name": "a", "tags": .array(["x"])], ["id": 2, "name": "b"]], hints: h)
        let idBefore = try t.scalar("SELECT _dlt_id FROM users WHERE id = 1")
        try await t.run("users", [["id": 1, "name": "a2", "tags": .array(["y", "z"])], ["id": 3, "name": "c"], ["id": 3, "name": "c2"]], hints: h)
        #expect(try rows(t, "SELECT id, name FROM users ORDER BY id") == [["1", "a2"], ["2", "b"], ["3", "c2"]])
        // The row kept its id (a hash of its key), so links from child rows stay valid.
        #expect(try t.scalar("SELECT _dlt_id FROM users WHERE id = 1") == idBefore)
        #expect(try rows(t, """
            SELECT u.id, x.value FROM users__tags x JOIN users u ON x._dlt_parent_id = u._dlt_id ORDER BY x._dlt_list_idx
            """) == [["1", "y"], ["1", "z"]])
    }

    /// One key written 1, "1" and 1 again in three loads: its `_dlt_id` hashes the key as written, so it
    /// changes, and the children of the stored row must still be replaced (they were left with no parent).
    @Test func upsertReplacesTheChildrenOfAKeyWrittenAnotherWay() async throws {
        let t = TestPipeline()
        let h = hints(.upsert)
        try await t.run("ups", [["id": 1, "v": "a", "tags": .array(["a1", "a2"])]], hints: h)
        try await t.run("ups", [["id": "1", "v": "b", "tags": .array(["b1"])]], hints: h)
        #expect(try rows(t, "SELECT x.value FROM ups__tags x JOIN ups u ON x._dlt_root_id = u._dlt_id") == [["b1"]])
        try await t.run("ups", [["id": 1, "v": "c", "tags": .array(["c1"])]], hints: h)
        #expect(try rows(t, "SELECT id, v FROM ups") == [["1", "c"]])
        #expect(try rows(t, "SELECT value FROM ups__tags") == [["c1"]])
        #expect(try t.scalar("SELECT count(*) FROM ups__tags WHERE _dlt_root_id NOT IN (SELECT _dlt_id FROM ups)") == "0")
    }

    @Test func hardDeletesRemoveRowsAndTheirChildren() async throws {
        for strategy in [MergeStrategy.deleteInsert, .upsert] {
            let t = TestPipeline()
            let h = hints(strategy, hardDelete: "deleted")
            try await t.run("users", [["id": 1, "tags": .array(["x"])], ["id": 2, "tags": .array(["y"])]], hints: h)
            try await t.run("users", [["id": 1, "deleted": true], ["id": 3, "deleted": false]], hints: h)
            #expect(try rows(t, "SELECT id FROM users ORDER BY id") == [["2"], ["3"]], "\(strategy)")
            #expect(try rows(t, "SELECT value FROM users__tags") == [["y"]], "\(strategy)")
        }
    }

    @Test func scd2KeepsHistory() async throws {
        let t = TestPipeline()
        let h = hints(.scd2, key: [])
        try await t.run("customers", [["id": 1, "city": "Oslo"], ["id": 2, "city": "Rome"], ["id": 3, "city": "Lima"]], hints: h)
        let firstLoad = try t.scalar("SELECT min(_dlt_valid_from) FROM customers")!
        // 1 changed, 2 unchanged, 3 vanished from the full extract.
        try await t.run("customers", [["id": 1, "city": "Bergen"], ["id": 2, "city": "Rome"]], hints: h)
        let history = try rows(t, "SELECT id, city, _dlt_valid_to IS NULL FROM customers ORDER BY id, _dlt_valid_from")
        #expect(history == [["1", "Oslo", "0"], ["1", "Bergen", "1"], ["2", "Rome", "1"], ["3", "Lima", "0"]])
        // Retired versions end when the new one begins.
        let ends = try rows(t, "SELECT DISTINCT _dlt_valid_to FROM customers WHERE _dlt_valid_to IS NOT NULL")
        let secondLoad = try t.scalar("SELECT max(_dlt_valid_from) FROM customers")!
        #expect(ends == [[secondLoad]])
        #expect(firstLoad < secondLoad)
    }

    @Test func scd2WithAMergeKeyOnlyRetiresKeysInTheLoad() async throws {
        let t = TestPipeline()
        let h = hints(.scd2, key: [], mergeKey: ["id"])
        try await t.run("customers", [["id": 1, "city": "Oslo"], ["id": 2, "city": "Rome"]], hints: h)
        try await t.run("customers", [["id": 1, "city": "Bergen"]], hints: h)  // 2 absent: not retired
        #expect(try rows(t, "SELECT id, city FROM customers WHERE _dlt_valid_to IS NULL ORDER BY id") == [["1", "Bergen"], ["2", "Rome"]])
    }

    @Test func scd2HardDeleteRetires() async throws {
        let t = TestPipeline()
        let h = hints(.scd2, key: [], mergeKey: ["id"], hardDelete: "deleted")
        try await t.run("customers", [["id": 1, "city": "Oslo"], ["id": 2, "city": "Rome"]], hints: h)
        try await t.run("customers", [["id": 2, "city": "Rome", "deleted": true]], hints: h)
        #expect(try rows(t, "SELECT id FROM customers WHERE _dlt_valid_to IS NULL") == [["1"]])
        #expect(try t.count("customers") == 2)
    }

    @Test func mergeKeyReplacesAWholePartition() async throws {
        let t = TestPipeline()
        let h = hints(.deleteInsert, key: ["id"], mergeKey: ["day"])
        try await t.run("sales", [["id": 1, "day": "d1"], ["id": 2, "day": "d1"], ["id": 3, "day": "d2"]], hints: h)
        try await t.run("sales", [["id": 4, "day": "d1"]], hints: h)  // the d1 partition is replaced
        #expect(try rows(t, "SELECT id, day FROM sales ORDER BY id") == [["3", "d2"], ["4", "d1"]])
    }
}
