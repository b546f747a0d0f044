import SluiceTesting
import Destinations
import Foundation
import PipelineCore
import Pipelines
import Testing

/// Model-based test of the merge strategies: random batches (a key twice in a batch, keys that vanish and
/// come back, content changed and reverted, hard deletes, nested lists) loaded one after another into
/// SQLite and Postgres; after every load the root and child tables must equal a small in-memory
/// reference of what each strategy means.
@Suite("merge strategies against a reference model")
struct MergeModelTests {
    /// One source record: a key, a value and a list (the child table `items__tags`).
    struct Item: Hashable, Comparable, CustomStringConvertible {
        var id: Int
        var v: String
        var tags: [String]
        static func < (a: Item, b: Item) -> Bool { (a.id, a.v, a.tags.joined(separator: ",")) < (b.id, b.v, b.tags.joined(separator: ",")) }
        var description: String { "\(id):\(v)[\(tags.joined(separator: ","))]" }
    }

    /// A row as loaded: its item and, for scd2, whether its version is the current one.
    struct Stored: Hashable, Comparable, CustomStringConvertible {
        var item: Item
        var current: Bool
        static func < (a: Stored, b: Stored) -> Bool { (a.item, a.current ? 1 : 0) < (b.item, b.current ? 1 : 0) }
        var description: String { "\(item)\(current ? "" : " (retired)")" }
    }

    /// What each strategy means, written plainly.
    struct Reference {
        let strategy: MergeStrategy
        var rows: [Int: Item] = [:]
        var versions: [Stored] = []

        mutating func apply(_ batch: [(item: Item, deleted: Bool)]) {
            guard !batch.isEmpty else { return }  // nothing extracted: nothing changes, not even scd2 history
            var last: [Int: (item: Item, deleted: Bool)] = [:]
            var order: [Int] = []
            for row in batch {
                if last[row.item.id] == nil { order.append(row.item.id) }
                last[row.item.id] = row  // the batch is deduplicated by primary key: the last row wins
            }
            switch strategy {
            case .deleteInsert, .upsert:
                for id in order { rows[id] = last[id]!.deleted ? nil : last[id]!.item }
            case .scd2:
                let extract = Set(order.map { last[$0]!.item })
                for k in versions.indices where versions[k].current && !extract.contains(versions[k].item) {
                    versions[k].current = false
                }
                for id in order where !versions.contains(where: { $0.current && $0.item == last[id]!.item }) {
                    versions.append(Stored(item: last[id]!.item, current: true))
                }
            }
        }

        var expected: [Stored] {
            strategy == .scd2 ? versions.sorted() : rows.values.map { Stored(item: $0, current: true) }.sorted()
        }
    }

    typealias Random = SplitMix64

    func batch(_ r: inout Random, first: Bool, deletes: Bool) -> [(item: Item, deleted: Bool)] {
        let count = first ? 1 + r.next(6) : r.next(8)
        return (0..<count).map { k in
            let tags = (0..<(first && k == 0 ? 1 + r.next(3) : r.next(4))).map { _ in ["x", "y", "z"][r.next(3)] }
            let deleted = deletes && !(first && k == 0) && r.next(7) == 0
            return (Item(id: 1 + r.next(5), v: ["a", "b", "c"][r.next(3)], tags: tags), deleted)
        }
    }

    /// A destination under test: a pipeline and a way to read its tables.
    struct Target {
        var pipeline: Pipeline
        var query: (String) throws -> [[String]]
        var table: (String) -> String
        var cleanup: () -> Void
    }

    static func sqlite() -> Target {
        let dir = try! TemporaryDirectory.make("model")
        let destination = SQLiteDestination(path: dir + "/m.sqlite")
        var configuration = Pipeline.Configuration()
        configuration.workingDirectory = dir + "/.sluice"
        return Target(pipeline: Pipeline(name: "m", destination: destination, configuration: configuration),
                      query: { sql in try destination.withConnection { try $0.query(sql).map { $0.map { $0 ?? "NULL" } } } },
                      table: { "\"\($0)\"" }, cleanup: { try? FileManager.default.removeItem(atPath: dir) })
    }

    static func postgres() throws -> Target {
        let p = try PostgresPipeline()
        return Target(pipeline: p.pipeline, query: p.query, table: p.table, cleanup: {
            _ = try? p.query("DROP SCHEMA \"\(p.destination.dataset)\" CASCADE")
            try? FileManager.default.removeItem(atPath: p.dir)
        })
    }

    /// The root table's rows with their lists, read back through `_dlt_parent_id` and `_dlt_list_idx`.
    func stored(_ t: Target, strategy: MergeStrategy) throws -> [Stored] {
        let current = strategy == .scd2 ? "CASE WHEN _dlt_valid_to IS NULL THEN 1 ELSE 0 END" : "1"
        let roots = try t.query("SELECT _dlt_id, id, v, \(current) FROM \(t.table("items"))")
        let children = try t.query("SELECT _dlt_parent_id, _dlt_list_idx, value FROM \(t.table("items__tags"))")
        var tags: [String: [(Int, String)]] = [:]
        for c in children { tags[c[0], default: []].append((Int(c[1])!, c[2])) }
        return roots.map { r in
            Stored(item: Item(id: Int(r[1])!, v: r[2], tags: (tags[r[0]] ?? []).sorted { $0.0 < $1.0 }.map(\.1)), current: r[3] == "1")
        }.sorted()
    }

    func check(_ target: () throws -> Target, strategy: MergeStrategy, seed: UInt64) async throws {
        let t = try target()
        defer { t.cleanup() }
        var hints = ResourceHints(writeDisposition: .merge, primaryKey: ["id"])
        hints.mergeStrategy = strategy
        let deletes = strategy != .scd2
        if deletes { hints.columns["deleted"] = ColumnHint(hardDelete: true) }
        var model = Reference(strategy: strategy)
        var random = Random(seed: seed)
        var history: [String] = []
        for load in 0..<10 {
            let rows = batch(&random, first: load == 0, deletes: deletes)
            history.append(rows.map { "\($0.item)\($0.deleted ? " deleted" : "")" }.joined(separator: ", "))
            let payload: [Row] = rows.map { r in
                ["id": .bigint(Int64(r.item.id)), "v": .text(r.item.v), "tags": .array(r.item.tags.map(Value.text)),
                 "deleted": .bool(r.deleted)]
            }
            _ = try await t.pipeline.run(Source(name: "model", resources: [Resource(name: "items", hints: hints) { out in
                try await out.write(contentsOf: payload)
            }]))
            model.apply(rows)
            let context = Comment(rawValue: "\(strategy) seed \(seed), after loads:\n" + history.joined(separator: "\n"))
            #expect(try stored(t, strategy: strategy) == model.expected, context)
            #expect(try t.query("SELECT count(*) - count(DISTINCT _dlt_id) FROM \(t.table("items__tags"))") == [["0"]], context)
            #expect(try t.query("""
                SELECT count(*) FROM \(t.table("items__tags")) c
                WHERE NOT EXISTS (SELECT 1 FROM \(t.table("items")) r WHERE r._dlt_id = c._dlt_parent_id)
                """) == [["0"]], context)
        }
    }

    static let strategies: [MergeStrategy] = [.deleteInsert, .upsert, .scd2]
    static let seeds: [UInt64] = [1, 2, 3]

    @Test(arguments: strategies, seeds)
    func sqliteMatchesTheReference(strategy: MergeStrategy, seed: UInt64) async throws {
        try await check(Self.sqlite, strategy: strategy, seed: seed)
    }

    @Test(.enabled(if: TestPostgres.available), arguments: strategies, seeds)
    func postgresMatchesTheReference(strategy: MergeStrategy, seed: UInt64) async throws {
        try await check(Self.postgres, strategy: strategy, seed: seed)
    }
}
