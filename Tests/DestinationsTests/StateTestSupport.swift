import SluiceTesting
import Destinations
import Foundation
import PipelineCore
import Pipelines

/// A scratch folder for one test: working directories and SQLite files; removed by ``remove()``.
struct Scratch {
    let dir: String

    init() throws { dir = try TemporaryDirectory.make("state") }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    /// A pipeline named `events` whose working directory is `<scratch>/<workdir>/.sluice`: two workdirs
    /// are two machines, or two CI jobs.
    func pipeline(_ destination: any Destination, dataset: String = "events", workdir: String = "w1") -> Pipeline {
        var configuration = Pipeline.Configuration()
        configuration.workingDirectory = dir + "/" + workdir + "/.sluice"
        configuration.loadRetryDelays = []
        return Pipeline(name: "events", destination: destination, dataset: dataset, configuration: configuration)
    }

    func localState(workdir: String = "w1") -> String { dir + "/" + workdir + "/.sluice/events/state.json" }
}

/// Lets `parties` tasks pass only together: both runners have read the state before either commits.
actor Barrier {
    private let parties: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(parties: Int) { self.parties = parties }

    func arrive() async {
        if waiting.count + 1 == parties {
            for w in waiting { w.resume() }
            waiting = []
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}

/// `true` once, then `false`: a runner meets the barrier on its first extraction only.
actor FirstTime {
    private var used = false
    func take() -> Bool {
        defer { used = true }
        return !used
    }
}

enum StateFixtures {
    static let hints = ResourceHints(primaryKey: ["id"], incremental: Incremental(cursor: "id"))

    /// One incremental resource `events` (cursor `id`) of rows `ids`; waits at `barrier` on its first run.
    static func source(_ ids: ClosedRange<Int>, barrier: Barrier? = nil) -> Source {
        let first = FirstTime()
        return Source(name: "s", resources: [Resource(name: "events", hints: hints) { out in
            if let barrier, await first.take() { await barrier.arrive() }
            try await out.write(contentsOf: ids.lazy.map { ["id": .bigint(Int64($0)), "v": .text("row \($0)")] as Row })
        }])
    }

    /// `count(*)` and `count(DISTINCT id)` of the events table in SQLite.
    static func counts(_ destination: SQLiteDestination) throws -> [Int] {
        try destination.withConnection { try $0.query("SELECT count(*), count(DISTINCT id) FROM events")[0].map { Int($0!)! } }
    }

    /// `count(*)` and `count(DISTINCT id)` of the events table in the destination's Postgres schema.
    static func counts(_ destination: PostgresDestination) throws -> [Int] {
        try destination.withConnection {
            try $0.query("SELECT count(*), count(DISTINCT id) FROM \(destination.qualified("events"))")[0].map { Int($0!)! }
        }
    }
}

/// Postgres without its run lock: only the state check of each commit stands between two runners
/// (whole-package loads, as the check of ``Destination/load(_:)`` is the one under test).
struct WithoutRunLock: ForwardingDestination {
    let base: PostgresDestination
    func withRunLock<T>(pipeline: String, _ body: () async throws -> T) async throws -> T { try await body() }
    func beginLoad(schemaName: String, loadId: String) throws -> (any LoadSession)? { nil }
}
