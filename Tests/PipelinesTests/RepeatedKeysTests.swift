import Foundation
import PipelineCore
import SluiceTesting
import Testing

@testable import Pipelines

/// The merge batch's dedup holds at most `runLength` keys in memory and spills the rest to disk; small
/// run lengths here make every test cross several runs, the path a large batch takes.
@Suite("repeated primary keys, in bounded memory")
struct RepeatedKeysTests {
    @Test func spilledRunsMergeIntoOneSortedStream() throws {
        var rng = SystemRandomNumberGenerator()
        let values = (0..<1000).map { _ in Int.random(in: -500...500, using: &rng) }
        var sorter = SpillSorter<Int>(directory: try TemporaryDirectory.make("spill"), runLength: 7)
        for v in values { try sorter.append(v) }
        #expect(sorter.spilledRuns == 1000 / 7)
        var sorted = sorter.sorted()
        var out: [Int] = []
        while let v = try sorted.next() { out.append(v) }
        #expect(out == values.sorted())
    }

    @Test func theLastRowOfEachKeyIsKeptAcrossRuns() throws {
        // Keys of 300 rows in two tables; the expected answer computed naively, in memory.
        let rows: [(table: String, key: String)] = (1...300).map { n in
            (n % 3 == 0 ? "b" : "a", String(n * 7919 % 97))
        }
        var lastOrdinal: [String: Int] = [:]
        for (ordinal, row) in zip(1..., rows) { lastOrdinal[row.table + "/" + row.key] = ordinal }
        let expected = zip(1..., rows).filter { lastOrdinal[$1.table + "/" + $1.key] != $0 }.map(\.0)

        var keys = RepeatedKeys(directory: try TemporaryDirectory.make("keys"), runLength: 16)
        for (ordinal, row) in zip(1..., rows) { try keys.record(table: row.table, key: row.key, ordinal: ordinal) }
        let superseded = try #require(try keys.superseded())
        let dropped = try (1...rows.count).filter { try superseded.contains($0) }
        #expect(dropped == expected)
    }

    @Test func distinctKeysNeedNoSecondPass() throws {
        var keys = RepeatedKeys(directory: try TemporaryDirectory.make("keys"), runLength: 10)
        // The same key text in two tables is two keys; "1" and "10" must not run together with the table name.
        try keys.record(table: "a", key: "1", ordinal: 1)
        try keys.record(table: "b", key: "1", ordinal: 2)
        try keys.record(table: "a1", key: "0", ordinal: 3)
        try keys.record(table: "a", key: "10", ordinal: 4)
        for n in 5...50 { try keys.record(table: "a", key: "k\(n)", ordinal: n) }
        #expect(try keys.superseded() == nil)
    }

    @Test func noScratchFileIsLeftBehind() throws {
        let dir = try TemporaryDirectory.make("keys")
        var keys = RepeatedKeys(directory: dir, runLength: 4)
        for n in 1...40 { try keys.record(table: "t", key: String(n % 5), ordinal: n) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)  // unlinked at creation
        #expect(try keys.superseded() != nil)
    }
}
