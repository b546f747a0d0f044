import Foundation
import PipelineCore
import Pipelines
import Testing

@Suite("schema contracts on real SQLite")
struct ContractTests {
    func hints(_ contract: SchemaContract) -> ResourceHints {
        var h = ResourceHints()
        h.contract = contract
        return h
    }

    /// A table with columns id (bigint) and name (text), loaded once.
    func seeded() async throws -> TestPipeline {
        let t = TestPipeline()
        try await t.run("users", [["id": 1, "name": "a"]])
        return t
    }

    @Test func evolveIsTheDefault() async throws {
        let t = try await seeded()
        try await t.run("users", [["id": 2, "name": "b", "age": 30]])
        #expect(try t.columns("users").contains("age"))
    }

    @Test func freezeFailsNamingTheChange() async throws {
        let t = try await seeded()
        await #expect {
            try await t.run("users", [["id": 2, "name": "b", "age": 30]], hints: hints(SchemaContract(columns: .freeze)))
        } throws: { error in
            let e = error as! SluiceError
            return e.column == "age" && e.table == "users" && "\(e)".contains("freezes the columns of users")
        }
        #expect(try t.count("users") == 1)
        await #expect {
            try await t.run("users", [["id": "three", "name": "c"]], hints: hints(SchemaContract(dataType: .freeze)))
        } throws: { "\($0)".contains("id__v_text") }
        await #expect {
            try await t.run("users", [["id": 4, "name": "d", "tags": .array(["x"])]], hints: hints(SchemaContract(tables: .freeze)))
        } throws: { "\($0)".contains("new tables (users__tags)") }
        #expect(try t.count("users") == 1)
    }

    @Test func discardRowDropsAndCountsWholeRows() async throws {
        let t = try await seeded()
        let info = try await t.run("users", [
            ["id": 2, "name": "b"], ["id": 3, "name": "c", "age": 30], ["id": "four", "name": "d"], ["id": 5, "tags": .array(["x"])],
        ], hints: hints(SchemaContract(.discardRow)))
        #expect(try t.query("SELECT id FROM users ORDER BY id").map { $0[0]! } == ["1", "2"])
        #expect(info.packages[0].discardedRows == 3)
        #expect(try !t.columns("users").contains("age"))
        #expect(try !t.destination.withConnection { try $0.tableExists("users__tags") })
        #expect("\(info)".contains("3 row(s) discarded by the schema contract"))
    }

    @Test func discardValueKeepsTheRowWithoutTheValue() async throws {
        let t = try await seeded()
        let info = try await t.run("users", [["id": 2, "name": "b", "age": 30], ["id": "three", "name": "c"]],
                                   hints: hints(SchemaContract(columns: .discardValue, dataType: .discardValue)))
        #expect(try t.query("SELECT id, name FROM users ORDER BY name").map { $0.map { $0 ?? "NULL" } } == [["1", "a"], ["2", "b"], ["NULL", "c"]])
        #expect(info.packages[0].discardedValues == 2)
        #expect(try !t.columns("users").contains("age"))
        #expect(try !t.columns("users").contains("id__v_text"))
    }

    @Test func aNewTableTakesAllItsColumnsUnderAColumnsContract() async throws {
        let t = TestPipeline()
        try await t.run("fresh", [["id": 1, "a": "x"]], hints: hints(SchemaContract(columns: .freeze)))
        #expect(try t.columns("fresh").contains("a"))
    }
}
