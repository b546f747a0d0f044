import PipelineCore
import SluiceTesting
import Testing

@testable import Pipelines

@Suite("cursor rules, without I/O")
struct CursorTrackerTests {
    @Test(arguments: [
        (CursorValue.int(1), CursorValue.double(1.5), true),
        (.double(2.5), .int(3), true),
        (.date(19723), .timestamp(1_704_067_200_000_001), true),  // 2024-01-01 < 2024-01-01T00:00:00.000001
        (.timestamp(1_704_067_200_000_000), .date(19723), false),
        (.string("a"), .string("b"), true),
        (.string("10"), .string("9"), true),  // strings order as text
    ])
    func typedCursorsOrder(a: CursorValue, b: CursorValue, less: Bool) {
        #expect((a < b) == less)
    }

    @Test func textParsesToTheRightKind() {
        #expect(CursorValue(parsing: "42") == .int(42))
        #expect(CursorValue(parsing: "4.5") == .double(4.5))
        #expect(CursorValue(parsing: "2024-01-01") == .date(19723))
        #expect(CursorValue(parsing: "2024-01-01T00:00:00Z") == .timestamp(1_704_067_200_000_000))
        #expect(CursorValue(parsing: "v1.2") == .string("v1.2"))
        #expect(!CursorValue.int(1).isComparable(to: .string("1")))
    }

    func row(_ id: Int64, _ at: Int64) -> Row { ["id": .bigint(id), "at": .bigint(at)] }

    /// Boundary keys are computed late (only for rows still holding the maximum), in batches past
    /// ``CursorTracker/pendingLimit`` rows: the state is the same whatever the batch boundaries.
    @Test(arguments: [0, 1, CursorTracker.pendingLimit - 1, CursorTracker.pendingLimit, 3 * CursorTracker.pendingLimit + 5])
    func boundaryKeysOfManyRowsOnTheMaximum(tied: Int) throws {
        var tracker = CursorTracker(Incremental(cursor: "at"), prior: nil, primaryKey: ["id"])
        // A rising cursor (each row a new maximum), then `tied` rows on the last value, then older rows.
        for k in 0..<2000 { #expect(try tracker.admit(row(Int64(k), Int64(k)))) }
        for k in 0..<tied { #expect(try tracker.admit(row(Int64(10_000 + k), 1999))) }
        for k in 0..<10 { #expect(try tracker.admit(row(Int64(20_000 + k), 5))) }
        let state = try #require(try tracker.finalState())
        #expect(state.lastValue == .int(1999))
        #expect(state.boundaryKeys.count == tied + 1)
        // The next run skips exactly the rows it loaded on the boundary.
        var next = CursorTracker(Incremental(cursor: "at"), prior: state, primaryKey: ["id"])
        #expect(try !next.admit(row(1999, 1999)))
        if tied > 0 { #expect(try !next.admit(row(Int64(10_000 + tied - 1), 1999))) }
        #expect(try next.admit(row(99_999, 1999)))
    }

    /// A cursor whose values change type within one run is an error at the first value that does not
    /// compare (the state kept whichever came last in the file's order).
    @Test func aCursorThatChangesTypeInOneRunIsAnError() throws {
        var tracker = CursorTracker(Incremental(cursor: "at"), prior: nil, primaryKey: ["id"])
        #expect(try tracker.admit(["id": 1, "at": 1]))
        #expect(throws: SluiceError.self) { try tracker.admit(["id": 2, "at": "2024-01-01"]) }
    }

    /// The cursor read from a row's JSON text is the one the decoded row gives, or `nil` (the row is then
    /// decoded): never another value. Keys given twice, escaped, non-ASCII or matching only by their
    /// normalized name leave it to the decoded row.
    @Test func theCursorReadFromTheTextIsTheDecodedRowsOrNone() throws {
        func check(_ json: String, cursor: String = "at") throws -> Value? {
            let tracker = CursorTracker(Incremental(cursor: cursor), prior: nil, primaryKey: [])
            var text = json
            let fast = text.withUTF8 { tracker.lookup(inJSON: $0) }
            guard case .object(let row) = try JSONText.decode(json) else { Issue.record("not an object"); return nil }
            if let fast { #expect(CursorTracker.lookup(cursor, in: row) == fast, "\(json)") }
            return fast
        }
        #expect(try check(#"{"id":1,"at":5}"#) == .bigint(5))
        #expect(try check(#"{"at":"2024-01-01T00:00:00Z","x":[1,{"at":2}]}"#) == .text("2024-01-01T00:00:00Z"))
        #expect(try check(#"{"a":{"at":1,"b":1.5}}"#, cursor: "a.b") == .double(1.5))
        #expect(try check(#"{"at":null}"#) == .null)
        #expect(try check(#"{"at":123456789012345678901234}"#) == .decimal("123456789012345678901234"))
        for undecided in [#"{"at":1,"at":2}"#, #"{"a\u0074":3}"#, #"{"At":3}"#, #"{"é":1,"at":2}"#, #"{"at":[1]}"#,
                          #"{"x":{"at":1}}"#, #"{"at":{"b":1}}"#] {
            #expect(try check(undecided) == nil, "\(undecided)")
        }
        // Random rows over a small set of keys (duplicates, escapes, case, nesting): decided values always agree.
        var random = SplitMix64(seed: 3)
        let keys = [#""at""#, #""At""#, #""a\u0074""#, #""id""#, #""é""#, #""at ""#]
        let values = ["1", "-2.5", #""t""#, "null", "[]", #"{"at":7}"#, "true", "1e3"]
        var decided = 0
        for _ in 0..<2000 {
            var fields: [String] = []
            for _ in 0..<(1 + random.next(4)) {
                let key: String = keys[random.next(keys.count)]
                let value: String = values[random.next(values.count)]
                fields.append(key + ":" + value)
            }
            let json: String = "{" + fields.joined(separator: ",") + "}"
            if try check(json) != nil { decided += 1 }
        }
        #expect(decided > 100)
    }

    @Test func windowBoundaryAndNextState() throws {
        let prior = CursorState(path: "at", lastValue: .int(10), boundaryKeys: [])
        var first = CursorTracker(Incremental(cursor: "at"), prior: nil, primaryKey: ["id"])
        for (id, at) in [(1, 10), (2, 10), (3, 9)] as [(Int64, Int64)] { #expect(try first.admit(row(id, at))) }
        let state = try #require(try first.finalState())
        #expect(state.lastValue == .int(10) && state.boundaryKeys.count == 2)

        var second = CursorTracker(Incremental(cursor: "at"), prior: state, primaryKey: ["id"])
        #expect(second.window == IncrementalWindow(start: .int(10), startInclusive: true, end: nil))
        #expect(try !second.admit(row(1, 10)))  // seen on the boundary
        #expect(try second.admit(row(4, 10)))   // new on the boundary
        #expect(try !second.admit(row(5, 9)))   // before the window
        #expect(try second.admit(row(6, 11)))
        let next = try #require(try second.finalState())
        #expect(next.lastValue == .int(11) && next.boundaryKeys.count == 1)

        // A cursor on another path starts over; a backfill keeps the prior state.
        let other = CursorTracker(Incremental(cursor: "other", initialValue: 3), prior: prior, primaryKey: [])
        #expect(other.window.start == .int(3))
        var backfill = CursorTracker(Incremental(cursor: "at", initialValue: 1, endValue: 5), prior: prior, primaryKey: [])
        #expect(try backfill.admit(row(7, 2)))
        #expect(try !backfill.admit(row(8, 5)))
        #expect(try backfill.finalState() == prior)
    }

    @Test func lagMovesTheStartBackAndTurnsOffDedup() throws {
        let prior = CursorState(path: "at", lastValue: .int(10), boundaryKeys: ["k"])
        var t = CursorTracker(Incremental(cursor: "at", lag: 3), prior: prior, primaryKey: ["id"])
        #expect(t.window.start == .int(7))
        #expect(try t.admit(row(1, 8)))
        #expect(try t.finalState()?.lastValue == .int(10))  // the stored cursor never moves back
        #expect(try t.finalState()?.boundaryKeys == [])
    }
}
