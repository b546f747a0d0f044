import Foundation
import PipelineCore
import Pipelines
import Sources
import Testing

/// Item 10 of issue 9: errors found while rows stream from files name the file, the line, the column
/// and what is wrong.
@Suite("Extract errors say where and what")
struct ExtractErrorTests {
    func load(_ t: TestPipeline, _ paths: [String], hints: ResourceHints) async throws {
        _ = try await t.pipeline.run(Source(name: "files", resources: [try FileResource.make(name: "events", paths: paths, hints: hints)]))
    }

    @Test(arguments: [("null", #"{"id":5,"updated_at":null}"#), ("missing", #"{"id":5}"#)])
    func aBadCursorInTheSecondFileNamesThatFileAndLine(what: String, line: String) async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let part1 = t.file("part1.jsonl", (1...3).map { #"{"id":\#($0),"updated_at":"2024-01-0\#($0)T00:00:00Z"}"# }.joined(separator: "\n") + "\n")
        let part2 = t.file("part2.jsonl", #"{"id":4,"updated_at":"2024-01-04T00:00:00Z"}"# + "\n" + line + "\n")
        var hints = ResourceHints()
        hints.incremental = Incremental(cursor: "updated_at")
        await #expect {
            try await load(t, [part1, part2], hints: hints)
        } throws: { error in
            let e = error as! SluiceError
            return e.file == part2 && e.line == 2 && e.row == nil && e.column == "updated_at"
                && e.message == "the cursor updated_at is \(what)" && "\(e)".hasPrefix("extract: \(part2):2, column updated_at")
        }
    }

    @Test func aMergeKeyOfAnotherTypeSaysSoWithFileAndLine() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let hints = ResourceHints(writeDisposition: .merge, primaryKey: ["id"])
        try await load(t, [t.file("a.jsonl", #"{"id":1,"v":"x"}"# + "\n")], hints: hints)
        let b = t.file("b.jsonl", #"{"id":2,"v":"y"}"# + "\n" + #"{"id":"A-2","v":"z"}"# + "\n")
        await #expect {
            try await load(t, [b], hints: hints)
        } throws: { error in
            let e = error as! SluiceError
            return e.file == b && e.line == 2 && e.column == "id"
                && e.message.hasPrefix("a key column of a merge holds a text value where the column is bigint")
        }
        // Within one file, the first row sets the type.
        let c = t.file("c.jsonl", #"{"id":1.5}"# + "\n" + #"{"id":"x"}"# + "\n")
        let fresh = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: fresh.dir) }
        await #expect {
            try await load(fresh, [c], hints: hints)
        } throws: { error in
            let e = error as! SluiceError
            return e.file == c && e.line == 2 && e.message.contains("holds a text value where the column is double")
        }
        let d = t.file("d.jsonl", #"{"id":"A-1"}"# + "\n" + #"{"id":null}"# + "\n")
        await #expect { try await load(fresh, [d], hints: hints) } throws: { error in
            let e = error as! SluiceError
            return e.file == d && e.line == 2 && e.message == "a key column of a merge is null"
        }
        #expect(try t.scalar("SELECT group_concat(id) FROM events") == "1")
    }

    @Test func aNumberOutOfRangeIsNotMalformed() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let path = t.file("n.jsonl", #"{"id":1,"x":1.5}"# + "\n" + #"{"id":2,"x":1e400}"# + "\n")
        await #expect {
            try await load(t, [path], hints: ResourceHints())
        } throws: { error in
            let e = error as! SluiceError
            return e.file == path && e.line == 2 && e.message.hasPrefix("a number is out of range") && !e.message.contains("malformed")
        }
    }
}
