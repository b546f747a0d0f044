import SluiceTesting
import Destinations
import Foundation
import DatabaseClients
import PipelineCore
import Pipelines
import Testing

/// The destination a run loads into is the truth about its state (issue 9, item 8), against the real
/// Postgres `scripts/test` starts. Each test uses fresh schemas and drops them.
@Suite("state per destination on Postgres", .enabled(if: TestPostgres.available))
struct PostgresStateTests {
    typealias F = StateFixtures

    func postgres(_ dataset: String = "t_" + UUID().uuidString.prefix(8).lowercased()) throws -> PostgresDestination {
        PostgresDestination(credentials: try TestPostgres.credentials(), dataset: dataset)
    }

    func dropSchema(_ d: PostgresDestination) {
        _ = try? d.withConnection { try $0.execute("DROP SCHEMA IF EXISTS \(quoteIdentifier(d.dataset)) CASCADE") }
    }

    /// The README's sequence: `sluice run products`, then `--destination postgres --dataset analytics_products`.
    @Test func switchingFromSQLiteToPostgresLoadsEverythingIntoPostgres() async throws {
        let s = try Scratch()
        defer { s.remove() }
        let sqlite = SQLiteDestination(path: s.dir + "/events.sqlite")
        let pg = try postgres("analytics_" + UUID().uuidString.prefix(8).lowercased())
        defer { dropSchema(pg) }
        _ = try await s.pipeline(sqlite).run(F.source(1...3000))
        let info = try await s.pipeline(pg, dataset: pg.dataset).run(F.source(1...3000))
        #expect(info.rows(in: "events") == 3000)
        #expect(info.description.contains("No state stored for this pipeline in the destination"))
        #expect(try F.counts(pg) == [3000, 3000])
        // Another dataset of the same server is another destination too.
        let other = try postgres()
        defer { dropSchema(other) }
        #expect(try await s.pipeline(other, dataset: other.dataset).run(F.source(1...3000)).rows(in: "events") == 3000)
        // Each keeps its own cursor.
        #expect(try await s.pipeline(sqlite).run(F.source(1...3002)).rows(in: "events") == 2)
        #expect(try await s.pipeline(pg, dataset: pg.dataset).run(F.source(1...3003)).rows(in: "events") == 3)
        #expect(try F.counts(pg) == [3003, 3003])
        #expect(try F.counts(sqlite) == [3002, 3002])
    }

    enum Reset: String, CaseIterable, CustomTestStringConvertible {
        case dropTheSchema, dropTheTable, truncateTheTable
        var testDescription: String { rawValue }
    }

    @Test(arguments: Reset.allCases)
    func aResetDatasetIsRefilledByTheNextRun(_ reset: Reset) async throws {
        let s = try Scratch()
        defer { s.remove() }
        let pg = try postgres()
        defer { dropSchema(pg) }
        _ = try await s.pipeline(pg, dataset: pg.dataset).run(F.source(1...3000))
        try pg.withConnection { db in
            switch reset {
            case .dropTheSchema: try db.execute("DROP SCHEMA \(quoteIdentifier(pg.dataset)) CASCADE")
            case .dropTheTable: try db.execute("DROP TABLE \(pg.qualified("events"))")
            case .truncateTheTable: try db.execute("TRUNCATE \(pg.qualified("events"))")
            }
        }
        let info = try await s.pipeline(pg, dataset: pg.dataset).run(F.source(1...3000))
        #expect(info.rows(in: "events") == 3000)
        #expect(try F.counts(pg) == [3000, 3000])
        #expect(try await s.pipeline(pg, dataset: pg.dataset).run(F.source(1...3001)).rows(in: "events") == 1)
    }

    @Test func aCorruptLocalStateIsRestoredFromPostgres() async throws {
        let s = try Scratch()
        defer { s.remove() }
        let pg = try postgres()
        defer { dropSchema(pg) }
        _ = try await s.pipeline(pg, dataset: pg.dataset).run(F.source(1...100))
        try Data("not json".utf8).write(to: URL(fileURLWithPath: s.localState()))
        #expect(try await s.pipeline(pg, dataset: pg.dataset).run(F.source(1...110)).rows(in: "events") == 10)
        #expect(try F.counts(pg) == [110, 110])
        let copy = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.localState()))) as? [String: Any])
        #expect(copy["destination"] as? String == "postgres" && copy["dataset"] as? String == pg.dataset)
    }

    /// Two CI jobs (or CI and `sluice serve`) start the same pipeline at once: the run lock makes them take turns.
    @Test(.timeLimit(.minutes(2)))
    func twoRunnersFromTwoWorkingDirectoriesLoadEveryRowOnce() async throws {
        for repetition in 1...10 {
            let s = try Scratch()
            defer { s.remove() }
            let pg = try postgres()
            defer { dropSchema(pg) }
            async let first = s.pipeline(pg, dataset: pg.dataset, workdir: "ci").run(F.source(1...3000))
            async let second = s.pipeline(pg, dataset: pg.dataset, workdir: "serve").run(F.source(1...3000))
            let infos = try await [first, second]
            #expect(try F.counts(pg) == [3000, 3000], "repetition \(repetition)")
            #expect(infos.map { $0.rows(in: "events") }.sorted() == [0, 3000], "repetition \(repetition)")
        }
    }

    /// Without the run lock, both read the empty state before either commits: the commit check refuses
    /// the second, which extracts again and loads nothing twice.
    @Test(.timeLimit(.minutes(2)))
    func withoutTheRunLockTheCommitCheckStillLoadsEveryRowOnce() async throws {
        for repetition in 1...5 {
            let s = try Scratch()
            defer { s.remove() }
            let pg = try postgres()
            defer { dropSchema(pg) }
            let barrier = Barrier(parties: 2)
            let unlocked = WithoutRunLock(base: pg)
            async let first = s.pipeline(unlocked, dataset: pg.dataset, workdir: "ci").run(F.source(1...3000, barrier: barrier))
            async let second = s.pipeline(unlocked, dataset: pg.dataset, workdir: "serve").run(F.source(1...3000, barrier: barrier))
            let infos = try await [first, second]
            #expect(try F.counts(pg) == [3000, 3000], "repetition \(repetition)")
            #expect(infos.map { $0.stateOrigin?.droppedPackages.count ?? 0 }.sorted() == [0, 1], "repetition \(repetition)")
        }
    }

    @Test func aRunThatCannotGetTheRunLockSaysWhoHoldsIt() async throws {
        var pg = try postgres()
        pg.runLockTimeout = .milliseconds(300)
        let password = try TestPostgres.credentials().password
        try await pg.withRunLock(pipeline: "events") {
            await #expect {
                try await pg.withRunLock(pipeline: "events") {}
            } throws: { error in
                let text = "\(error)"
                return text.contains("pipeline events is already running against postgres at") && text.contains("dataset \(pg.dataset)")
                    && text.contains("server pid") && (password.map { !text.contains($0) } ?? true)
            }
            // Another pipeline, or the same pipeline in another dataset, does not wait.
            try await pg.withRunLock(pipeline: "orders") {}
        }
        // Released: the next run gets it at once.
        try await pg.withRunLock(pipeline: "events") {}
    }
}
