import Destinations
import Foundation
import DatabaseClients
import PipelineCore
import Pipelines
import Testing

/// The destination a run loads into is the truth about its state (issue 9, item 8), on real SQLite files.
@Suite("state per destination on SQLite")
struct StatePerDestinationTests {
    typealias F = StateFixtures

    @Test func switchingToAnotherDestinationLoadsEverythingThere() async throws {
        let s = try Scratch()
        defer { s.remove() }
        let a = SQLiteDestination(path: s.dir + "/a.sqlite"), b = SQLiteDestination(path: s.dir + "/b.sqlite")
        _ = try await s.pipeline(a).run(F.source(1...3000))
        // Same working directory, another destination: its cursor is not a's.
        let info = try await s.pipeline(b).run(F.source(1...3000))
        #expect(info.rows(in: "events") == 3000)
        #expect(try F.counts(b) == [3000, 3000])
        #expect(info.description.contains("No state stored for this pipeline in the destination: events started from the initial value"))
        // Each destination keeps its own cursor.
        #expect(try await s.pipeline(a).run(F.source(1...3010)).rows(in: "events") == 10)
        #expect(try await s.pipeline(b).run(F.source(1...3005)).rows(in: "events") == 5)
        #expect(try F.counts(a) == [3010, 3010])
        #expect(try F.counts(b) == [3005, 3005])
    }

    enum Reset: String, CaseIterable, CustomTestStringConvertible {
        case deleteTheFile, dropTheTable, emptyTheTable
        var testDescription: String { rawValue }
    }

    @Test(arguments: Reset.allCases)
    func aResetDestinationIsRefilledByTheNextRun(_ reset: Reset) async throws {
        let s = try Scratch()
        defer { s.remove() }
        let d = SQLiteDestination(path: s.dir + "/events.sqlite")
        _ = try await s.pipeline(d).run(F.source(1...3000))
        switch reset {
        case .deleteTheFile: try FileManager.default.removeItem(atPath: d.path)
        case .dropTheTable: try d.withConnection { try $0.execute("DROP TABLE events") }
        case .emptyTheTable: try d.withConnection { try $0.execute("DELETE FROM events") }
        }
        // `.sluice/` is kept: its copy of the state must not stop the refill.
        let info = try await s.pipeline(d).run(F.source(1...3000))
        #expect(info.rows(in: "events") == 3000)
        #expect(info.packages.allSatisfy { $0.skippedRows == 0 })
        #expect(try F.counts(d) == [3000, 3000])
        #expect(info.description.contains(reset == .deleteTheFile ? "No state stored" : "The table of events is missing or empty in the destination"))
        // And the cursor works again after the refill.
        #expect(try await s.pipeline(d).run(F.source(1...3004)).rows(in: "events") == 4)
        #expect(try F.counts(d) == [3004, 3004])
    }

    @Test func aCorruptLocalStateIsRestoredFromTheDestination() async throws {
        let s = try Scratch()
        defer { s.remove() }
        let d = SQLiteDestination(path: s.dir + "/events.sqlite")
        _ = try await s.pipeline(d).run(F.source(1...100))
        try Data("{\"pipeline\": \"events\", \"vers".utf8).write(to: URL(fileURLWithPath: s.localState()))
        let info = try await s.pipeline(d).run(F.source(1...120))
        #expect(info.rows(in: "events") == 20)
        #expect(try F.counts(d) == [120, 120])
        // The local copy is the destination's state again, and names the destination it came from.
        let copy = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.localState()))) as? [String: Any])
        let stored = try #require(try await d.storedState(pipeline: "events"))
        #expect(copy["destination"] as? String == "sqlite" && copy["location"] as? String == d.path)
        #expect((copy["state"] as? [String: Any])?["version"] as? Int == stored.version)
    }

    @Test func aPendingPackageOfAnotherDestinationIsDroppedNotLoadedWithItsCursor() async throws {
        let s = try Scratch()
        defer { s.remove() }
        let a = SQLiteDestination(path: s.dir + "/a.sqlite"), b = SQLiteDestination(path: s.dir + "/b.sqlite")
        _ = try await s.pipeline(a).run(F.source(1...100))
        try a.withConnection { try $0.execute("CREATE TRIGGER boom BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'boom'); END") }
        await #expect(throws: SluiceError.self) { try await s.pipeline(a).run(F.source(1...150)) }
        #expect(s.pipeline(a).pendingPackages().normalized.count == 1)  // rows 101...150, cursor from a's 100
        // Into b: the package's cursor belongs to a, so it is dropped and b gets every row.
        let info = try await s.pipeline(b).run(F.source(1...150))
        #expect(info.stateOrigin?.droppedPackages.count == 1)
        #expect(try F.counts(b) == [150, 150])
        // Back to a: it was never told rows 101...150 loaded, so it gets them, once.
        try a.withConnection { try $0.execute("DROP TRIGGER boom") }
        #expect(try await s.pipeline(a).run(F.source(1...150)).rows(in: "events") == 50)
        #expect(try F.counts(a) == [150, 150])
    }

    @Test(.timeLimit(.minutes(2)))
    func twoRunnersFromTwoWorkingDirectoriesLoadEveryRowOnce() async throws {
        for repetition in 1...10 {
            let s = try Scratch()
            defer { s.remove() }
            let d = SQLiteDestination(path: s.dir + "/events.sqlite")
            // Both read the (empty) state before either commits: the one that commits second must notice.
            let barrier = Barrier(parties: 2)
            async let first = s.pipeline(d, workdir: "ci").run(F.source(1...3000, barrier: barrier))
            async let second = s.pipeline(d, workdir: "serve").run(F.source(1...3000, barrier: barrier))
            let infos = try await [first, second]
            #expect(try F.counts(d) == [3000, 3000], "repetition \(repetition)")
            #expect(infos.map { $0.rows(in: "events") }.sorted() == [0, 3000], "repetition \(repetition)")
            #expect(infos.map { $0.stateOrigin?.droppedPackages.count ?? 0 }.sorted() == [0, 1], "repetition \(repetition)")
        }
    }

    @Test func aCommitFromAStaleStateIsRefusedAndWritesNothing() async throws {
        let s = try Scratch()
        defer { s.remove() }
        let d = SQLiteDestination(path: s.dir + "/events.sqlite")
        let p = s.pipeline(d)
        _ = try await p.run(F.source(1...10))
        let stale = try await p.currentState()
        _ = try await p.run(F.source(1...20))
        // A state computed from version 1 while the destination holds version 2.
        let package = NormalizedPackage(loadId: "9999999999.000001", dataset: "events", schema: Schema(name: "events"), files: [],
                                        replacedRoots: [], state: stale.successor(resources: [:]))
        await #expect {
            try await d.load(package)
        } throws: { error in
            let e = error as! SluiceError
            return e.code == .stateConflict && "\(e)".contains("pipeline events: the state in sqlite at \(d.path) is version 2")
        }
        #expect(try await d.storedState(pipeline: "events")?.version == 2)
        #expect(try d.withConnection { try $0.query("SELECT count(*) FROM _dlt_loads WHERE load_id = '9999999999.000001'")[0][0] } == "0")
    }
}
