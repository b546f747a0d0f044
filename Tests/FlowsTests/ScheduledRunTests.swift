@testable import Flows
import Foundation
import SluiceTesting
import Testing

/// Runs created ahead by a scheduler: one per key, taken by one process, and stores of before the key.
@Suite("scheduled runs")
struct ScheduledRunTests {
    static func run(_ key: String?, slot: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> RunRecord {
        let id = UUID().uuidString.lowercased()
        return RunRecord(id: id, kind: .flow, name: "events", flowRunID: id, state: .scheduled, tags: ["deployment:nightly"],
                         createdAt: Date(timeIntervalSince1970: 1_799_990_000), scheduledFor: slot, idempotencyKey: key)
    }

    static func stores() throws -> [any RunStore] {
        [InMemoryRunStore(), try SQLiteRunStore(path: try TemporaryDirectory.make("scheduled") + "/runs.sqlite")]
    }

    @Test func aKeyHoldsOneRunAndOneProcessTakesIt() async throws {
        for store in try Self.stores() {
            let first = Self.run("deployment:nightly@2027-01-15T08:00:00Z")
            let again = Self.run("deployment:nightly@2027-01-15T08:00:00Z")  // a restarted scheduler makes the slot again
            #expect(try await store.schedule([first]).map(\.id) == [first.id])
            #expect(try await store.schedule([again]).map(\.id) == [first.id])
            #expect(try await store.runs(RunQuery(kind: .flow, limit: 10)).count == 1)
            #expect(try await store.takeScheduledRun(id: first.id, .start(host: "h", pid: 42)))
            #expect(try await store.takeScheduledRun(id: first.id, .start(host: "h", pid: 43)) == false)
            #expect(try await store.takeScheduledRun(id: first.id, .withdraw(at: Date(), message: "withdrawn")) == false)
            #expect(try await store.run(id: first.id)?.pid == 42)
        }
    }

    @Test func aWithdrawnRunReleasesItsKeyAndAMissedOneKeepsIt() async throws {
        for store in try Self.stores() {
            let withdrawn = Self.run("k1")
            let missed = Self.run("k2")
            _ = try await store.schedule([withdrawn, missed])
            #expect(try await store.takeScheduledRun(id: withdrawn.id, .withdraw(at: Date(), message: "withdrawn: its schedule changed")))
            #expect(try await store.takeScheduledRun(id: missed.id, .miss(at: Date(), message: "missed")))
            #expect(try await store.run(id: withdrawn.id)?.state == .cancelled)
            #expect(try await store.run(id: withdrawn.id)?.idempotencyKey == nil)
            #expect(try await store.states(of: withdrawn.id).map(\.state) == [.scheduled, .cancelled])
            let anew = Self.run("k1")
            #expect(try await store.schedule([anew, Self.run("k2")]).map(\.id) == [anew.id, missed.id])
            #expect(try await store.run(id: missed.id)?.state == .late)
        }
    }

    @Test func aStoreOfVersionOneGainsTheKeyAndKeepsItsRuns() async throws {
        let path = try TemporaryDirectory.make("store-v1") + "/runs.sqlite"
        let db = try SQLiteDatabase(path: path)
        try db.execute("""
            CREATE TABLE runs (
              id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, flow_run_id TEXT NOT NULL, parent_run_id TEXT,
              state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, parameters TEXT, result TEXT, error TEXT, tags TEXT,
              created_at REAL NOT NULL, scheduled_for REAL, started_at REAL, ended_at REAL, host TEXT, pid INTEGER);
            INSERT INTO runs (id, kind, name, flow_run_id, state, created_at) VALUES ('old', 'flow', 'events', 'old', 'Completed', 1);
            PRAGMA user_version = 1;
            """)
        let store = try SQLiteRunStore(path: path)
        defer { store.close() }
        #expect(try await store.run(id: "old")?.state == .completed)
        let keyed = Self.run("deployment:nightly@2027-01-15T08:00:00Z")
        #expect(try await store.schedule([keyed, Self.run("deployment:nightly@2027-01-15T08:00:00Z")]).map(\.id) == [keyed.id, keyed.id])
    }
}
