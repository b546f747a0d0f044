import Foundation
import PipelineCore
import Pipelines
import SluiceTesting
import Testing

@Suite("incremental loading and state on real SQLite")
struct IncrementalTests {
    func rows(_ ids: ClosedRange<Int>, day: (Int) -> Int = { $0 }) -> [Row] {
        ids.map { ["id": .bigint(Int64($0)), "updated_at": .text(String(format: "2024-01-%02dT00:00:00Z", day($0)))] }
    }

    func hints(_ incremental: Incremental, disposition: WriteDisposition = .append) -> ResourceHints {
        ResourceHints(writeDisposition: disposition, primaryKey: ["id"], incremental: incremental)
    }

    func ids(_ t: TestPipeline, _ table: String = "events") throws -> [Int] {
        try t.query("SELECT id FROM \"\(table)\" ORDER BY id").map { Int($0[0]!)! }
    }

    @Test func overlappingRunsLoadEachRowOnce() async throws {
        let t = TestPipeline()
        let h = hints(Incremental(cursor: "updated_at"))
        let first = try await t.run("events", rows(1...10), hints: h)
        #expect(first.rows(in: "events") == 10)
        let second = try await t.run("events", rows(5...15), hints: h)  // 5...10 seen before
        #expect(second.rows(in: "events") == 5)
        #expect(second.packages[0].skippedRows == 6)
        let third = try await t.run("events", rows(1...20), hints: h)
        #expect(third.rows(in: "events") == 5)
        #expect(try ids(t) == Array(1...20))
        let state = try await t.pipeline.currentState()
        #expect(state.resources["events"]?.cursor?.lastValue == "2024-01-20T00:00:00Z")
        // The destination holds the same state, written with the rows.
        #expect(try await t.destination.storedState(pipeline: "test") == state)
    }

    /// Rows written as JSON text (the cursor read from the text, rows decoded only for their boundary keys)
    /// and the same rows written decoded load the same rows and keep the same state, over two runs whose
    /// rows overlap, with ties on the maximum, keys given twice, escaped or matching by normalized name.
    @Test(arguments: [[String](), ["id"]])
    func rowsGivenAsJSONTextAndDecodedKeepTheSameState(primaryKey: [String]) async throws {
        var random = SplitMix64(seed: 17)
        let lines: [String] = (0..<3000).map { id in
            let at = id / 7 + random.next(3)  // rising, with ties
            switch random.next(10) {
            case 0: return #"{"id":\#(id),"at":0,"at":\#(at)}"#
            case 1: return #"{"id":\#(id),"a\u0074":\#(at)}"#
            case 2: return #"{"id":\#(id),"At":\#(at),"note":"x"}"#
            default: return #"{"id":\#(id),"at":\#(at),"v":"\#(random.next(5))"}"#
            }
        }
        let h = ResourceHints(primaryKey: primaryKey, incremental: Incremental(cursor: "at"))
        func run(_ t: TestPipeline, _ range: Range<Int>, asText: Bool) async throws -> LoadInfo {
            try await t.pipeline.run(Source(name: "test", resources: [Resource(name: "events", hints: h) { out in
                for line in lines[range] {
                    if asText, let json = out as? any JSONRowWriter {
                        try await json.write(jsonObject: ArraySlice(line.utf8))
                    } else {
                        guard case .object(let row) = try JSONText.decode(line) else { return }
                        try await out.write(row)
                    }
                }
            }]))
        }
        let (text, decoded) = (TestPipeline(), TestPipeline())
        for range in [0..<2000, 1000..<3000] {
            let a = try await run(text, range, asText: true)
            let b = try await run(decoded, range, asText: false)
            #expect(a.rows(in: "events") == b.rows(in: "events"))
            #expect(a.packages[0].skippedRows == b.packages[0].skippedRows)
        }
        #expect(try ids(text) == ids(decoded))
        let (sa, sb) = (try await text.pipeline.currentState(), try await decoded.pipeline.currentState())
        #expect(sa.resources["events"]?.cursor == sb.resources["events"]?.cursor)
        #expect(sa.resources["events"]?.cursor?.boundaryKeys.isEmpty == false)
    }

    @Test func rowsOnTheBoundaryAreDeduplicatedByPrimaryKey() async throws {
        let t = TestPipeline()
        let h = hints(Incremental(cursor: "updated_at"))
        // ids 1...3 all on day 5: the boundary.
        try await t.run("events", rows(1...3, day: { _ in 5 }), hints: h)
        #expect(try await t.pipeline.currentState().resources["events"]?.cursor?.boundaryKeys.count == 3)
        // Same boundary value again, one new id: only it loads.
        let info = try await t.run("events", rows(1...4, day: { _ in 5 }), hints: h)
        #expect(info.rows(in: "events") == 1)
        #expect(try ids(t) == [1, 2, 3, 4])
        #expect(try await t.pipeline.currentState().resources["events"]?.cursor?.boundaryKeys.count == 4)
    }

    @Test func boundaryDeduplicationWithoutAPrimaryKeyUsesTheRowHash() async throws {
        let t = TestPipeline()
        let h = ResourceHints(incremental: Incremental(cursor: "n"))
        try await t.run("events", [["n": 1, "v": "a"], ["n": 2, "v": "b"]], hints: h)
        let info = try await t.run("events", [["n": 2, "v": "b"], ["n": 2, "v": "c"], ["n": 3, "v": "d"]], hints: h)
        #expect(info.rows(in: "events") == 2)
        #expect(try t.query("SELECT v FROM events ORDER BY v").map { $0[0]! } == ["a", "b", "c", "d"])
    }

    @Test func anEndValueBackfillLeavesTheStoredCursorAlone() async throws {
        let t = TestPipeline()
        try await t.run("events", rows(10...20), hints: hints(Incremental(cursor: "updated_at", initialValue: "2024-01-10T00:00:00Z")))
        let before = try await t.pipeline.currentState()
        let backfill = Incremental(cursor: "updated_at", initialValue: "2024-01-01T00:00:00Z", endValue: "2024-01-05T00:00:00Z")
        // A backfill reads its own window, not from the stored cursor, and does not move it.
        let info = try await t.run("events", rows(1...9), hints: hints(backfill))
        #expect(info.rows(in: "events") == 4)
        #expect(try ids(t) == Array(1...4) + Array(10...20))
        #expect(try await t.pipeline.currentState().resources["events"]?.cursor == before.resources["events"]?.cursor)
        #expect(before.resources["events"]?.cursor?.lastValue == "2024-01-20T00:00:00Z")
    }

    @Test func endValueWindowIsHonoured() async throws {
        let t = TestPipeline()
        let backfill = Incremental(cursor: "updated_at", initialValue: "2024-01-03T00:00:00Z", endValue: "2024-01-06T00:00:00Z")
        let info = try await t.run("events", rows(1...9), hints: hints(backfill))
        #expect(try ids(t) == [3, 4, 5])
        #expect(info.packages[0].skippedRows == 6)
        #expect(try await t.pipeline.currentState().resources["events"]?.cursor?.lastValue == nil)
    }

    @Test func stateIsRestoredFromTheDestinationOnAFreshMachine() async throws {
        let t = TestPipeline()
        let h = hints(Incremental(cursor: "updated_at"))
        try await t.run("events", rows(1...10), hints: h)
        try FileManager.default.removeItem(atPath: t.dir + "/.sluice")  // a fresh CI machine
        let info = try await t.run("events", rows(1...12), hints: h)
        #expect(info.rows(in: "events") == 2)
        #expect(try ids(t) == Array(1...12))
    }

    @Test func aStaleLocalStateIsOutvotedByTheDestination() async throws {
        let t = TestPipeline()
        let h = hints(Incremental(cursor: "updated_at"))
        try await t.run("events", rows(1...5), hints: h)
        let stale = try Data(contentsOf: URL(fileURLWithPath: t.dir + "/.sluice/test/state.json"))
        try await t.run("events", rows(1...8), hints: h)
        // As if the process died after the commit, before the local write.
        try stale.write(to: URL(fileURLWithPath: t.dir + "/.sluice/test/state.json"))
        let info = try await t.run("events", rows(1...9), hints: h)
        #expect(info.rows(in: "events") == 1)
        #expect(try ids(t) == Array(1...9))
    }

    @Test func lagReReadsATrailingWindow() async throws {
        let t = TestPipeline()
        let h = hints(Incremental(cursor: "updated_at", lag: 2 * 86_400), disposition: .merge)
        try await t.run("events", rows(1...10), hints: h)
        // Days 8..10 are re-read (lag 2 days before day 10); merge keeps one row per id.
        let info = try await t.run("events", rows(1...11), hints: h)
        #expect(info.rows(in: "events") == 4)
        #expect(try ids(t) == Array(1...11))
    }

    @Test func openRangeStartSkipsTheBoundaryValue() async throws {
        let t = TestPipeline()
        let h = hints(Incremental(cursor: "id", rangeStart: .open))
        try await t.run("events", rows(1...5), hints: h)
        let info = try await t.run("events", rows(5...7), hints: h)
        #expect(info.rows(in: "events") == 2)
    }

    @Test func tooManyBoundaryKeysIsAClearError() async throws {
        let t = TestPipeline()
        let h = hints(Incremental(cursor: "updated_at", maxBoundaryKeys: 3))
        await #expect {
            try await t.run("events", rows(1...5, day: { _ in 1 }), hints: h)
        } throws: { "\($0)".contains("5 rows share the cursor value") && "\($0)".contains("max_boundary_keys") }
        #expect(try !t.destination.withConnection { try $0.tableExists("events") })
    }

    @Test func missingCursorNamesTheRow() async throws {
        let t = TestPipeline()
        await #expect {
            try await t.run("events", [["id": 1, "updated_at": "2024-01-01T00:00:00Z"], ["id": 2]], hints: hints(Incremental(cursor: "updated_at")))
        } throws: { error in
            let e = error as! SluiceError
            return e.row == 2 && e.column == "updated_at" && "\(e)".contains("the cursor updated_at is missing")
        }
    }

    @Test func nestedCursorPathAndTheWindowReachTheResource() async throws {
        let t = TestPipeline()
        let h = ResourceHints(incremental: Incremental(cursor: "meta.seq", initialValue: 3))
        let seen = WindowBox()
        let resource = Resource(name: "events", hints: h) { out in
            seen.window = out.window
            for i in 1...6 { try await out.write(["id": .bigint(Int64(i)), "meta": .object(["seq": .bigint(Int64(i))])]) }
        }
        _ = try await t.pipeline.run(Source(name: "s", resources: [resource]))
        #expect(seen.window == IncrementalWindow(start: 3, startInclusive: true, end: nil))
        #expect(try ids(t) == [3, 4, 5, 6])
    }

    @Test func resourceStateIsKeptWithTheLoad() async throws {
        let t = TestPipeline()
        func resource(_ page: String) -> Resource {
            Resource(name: "pages") { out in
                let last = out.state("next_page")
                try await out.write(["page": .text(page), "previous": last.map(Value.text) ?? .null])
                out.setState("next_page", page + "+1")
            }
        }
        _ = try await t.pipeline.run(Source(name: "s", resources: [resource("a")]))
        _ = try await t.pipeline.run(Source(name: "s", resources: [resource("b")]))
        #expect(try t.query("SELECT previous FROM pages WHERE page = 'b'")[0][0] == "a+1")
        #expect(try await t.destination.storedState(pipeline: "test")?.resources["pages"]?.values["next_page"] == "b+1")
    }

    @Test func resetForgetsOneResource() async throws {
        let t = TestPipeline()
        let h = hints(Incremental(cursor: "updated_at"))
        try await t.run("events", rows(1...5), hints: h)
        try await t.pipeline.resetResource("events")
        #expect(try await t.pipeline.currentState().resources["events"] == nil)
        try FileManager.default.removeItem(atPath: t.dir + "/.sluice")
        #expect(try await t.pipeline.currentState().resources["events"] == nil)  // forgotten in the destination too
        let info = try await t.run("events", rows(1...5), hints: h)
        #expect(info.rows(in: "events") == 5)
        await #expect(throws: SluiceError.self) { try await t.pipeline.resetResource("nope") }
    }

    @Test func fullRefreshStartsOver() async throws {
        let t = TestPipeline()
        let h = hints(Incremental(cursor: "updated_at"))
        try await t.run("events", rows(1...5), hints: h)
        try await t.pipeline.fullRefresh()
        #expect(try !t.destination.withConnection { try $0.tableExists("events") })
        let info = try await t.run("events", rows(1...3), hints: h)
        #expect(info.rows(in: "events") == 3)
        #expect(try ids(t) == [1, 2, 3])
    }

    @Test func aSecondRunOfTheSamePipelineIsRefusedNamingTheHolder() async throws {
        let t = TestPipeline()
        try await t.run("events", rows(1...1))
        let fd = open(t.dir + "/.sluice/test/lock", O_RDWR)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        _ = "pid 4242 on ci since now".withCString { write(fd, $0, strlen($0)) }
        await #expect {
            try await t.run("events", rows(2...2))
        } throws: { "\($0)".contains("already running") && "\($0)".contains("pid 4242") }
        flock(fd, LOCK_UN)
        try await t.run("events", rows(2...2))
        #expect(try ids(t) == [1, 2])
    }
}

final class WindowBox: @unchecked Sendable {
    // Invariant: written once by the resource, read after the run finished.
    var window: IncrementalWindow?
}
