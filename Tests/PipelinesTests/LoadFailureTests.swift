import Foundation
import PipelineCore
import Pipelines
import Sources
import Testing

/// Item 9 of issue 9: what a destination cannot hold is caught before load, or set aside when it fails
/// at load, and later runs proceed.
@Suite("Load failures set packages aside")
struct LoadFailureTests {
    @Test func tooManyColumnsForSQLiteIsCaughtBeforeLoadAndLaterRunsProceed() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let wide = Row((0..<2100).map { Row.Field("c\($0)", .bigint(Int64($0))) })
        await #expect {
            try await t.run("wide", [wide])
        } throws: { error in
            let e = error as! SluiceError
            return e.code == .badInput && e.stage == "normalize" && e.table == "wide" && e.row == 1 && e.column == "c2000"
                && e.message.contains("more than sqlite allows (2000)") && e.message.contains("set aside")
        }
        #expect(try t.query("SELECT name FROM sqlite_master WHERE name = 'wide'").isEmpty)
        let failed = try t.pipeline.packages()
        #expect(failed.map(\.stage) == [.failed])
        #expect(failed.first?.failedStage == "normalize")
        #expect(failed.first?.rowCounts == [.init(table: "wide", rows: 1)])
        #expect(failed.first?.error?.contains("2000") == true)
        // The next run proceeds, and the failed package can be dropped.
        try await t.run("narrow", [["id": 1]])
        #expect(try t.count("narrow") == 1)
        try t.pipeline.dropPackage(failed[0].loadId)
        #expect(try t.pipeline.packages().isEmpty)
    }

    @Test func aPackageTheDestinationRejectsIsSetAsideThenRetried() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        // A table the destination already holds, with a rule the data breaks (as a warehouse's constraint would).
        try t.destination.withConnection { try $0.execute("CREATE TABLE people (id INTEGER, name TEXT CHECK (length(name) < 5))") }
        await #expect {
            try await t.run("people", [["id": 1, "name": "Alexandra"]])
        } throws: { error in
            let e = error as! SluiceError
            return e.code == .badInput && e.stage == "load" && e.message.contains("CHECK constraint")
                && e.message.contains("set aside")
        }
        let failed = try t.pipeline.packages()
        #expect(failed.count == 1 && failed[0].stage == .failed && failed[0].failedStage == "load")
        #expect(failed[0].rowCounts == [.init(table: "people", rows: 1)])
        // Later runs are not blocked by it.
        try await t.run("people", [["id": 2, "name": "Ann"]])
        #expect(try t.scalar("SELECT group_concat(name) FROM people") == "Ann")
        // Once the cause is fixed, a retry loads it with the next run.
        try t.destination.withConnection { try $0.execute("DROP TABLE people") }
        try await t.pipeline.retryPackage(failed[0].loadId)
        #expect(try t.pipeline.packages().map(\.stage) == [.normalized])
        try await t.run("people", [["id": 3, "name": "Bo"]])
        #expect(try t.scalar("SELECT group_concat(name, ',') FROM (SELECT name FROM people ORDER BY id)") == "Alexandra,Bo")
        #expect(try t.pipeline.packages().isEmpty)
    }

    @Test func retryAndDropNameWhatExists() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        await #expect { try await t.pipeline.retryPackage("123") } throws: { "\($0)".contains("has no failed package 123 (it has none)") }
        #expect { try t.pipeline.dropPackage("123") } throws: { "\($0)".contains("no pending or failed package 123") }
    }

    @Test func aRunWithNoNewRowsAddsNoLoadRow() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        var hints = ResourceHints()
        hints.incremental = Incremental(cursor: "seq")
        let rows: [Row] = [["id": 1, "seq": 1], ["id": 2, "seq": 2]]
        try await t.run("events", rows, hints: hints)
        let again = try await t.run("events", rows, hints: hints)
        #expect(again.description.contains("no new rows"))
        #expect(again.packages.first?.skippedRows == 2)
        #expect(try t.count("_dlt_loads") == 1)
        #expect(try t.count("events") == 2)
    }
}
