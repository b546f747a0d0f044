import SluiceTesting
import Destinations
import Foundation
import PipelineCore
import Pipelines
import Sources
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Cancelling a run (a task timeout, Ctrl-C) reaches extract, normalize and load; a cancelled run
/// commits nothing and leaves no package behind, so a retry loads every row once.
@Suite("cancelled runs commit nothing", .serialized)
struct CancellationTests {
    /// A named pipe fed one JSON line every `interval` by a thread, until `stop()`; never closed by the
    /// writer before that, like a source that never ends.
    final class TricklingPipe: @unchecked Sendable {
        // Invariant: `stopped` is only read by the writer thread after `stop()` set it (a benign race).
        let path: String
        private var stopped = false

        init(in dir: String, interval: TimeInterval) {
            path = dir + "/feed.jsonl"
            mkfifo(path, 0o600)
            signal(SIGPIPE, SIG_IGN)  // the reader goes away first
            let path = self.path
            Thread {
                let fd = open(path, O_WRONLY)  // waits for the reader
                var k = 0
                while !self.stopped, fd >= 0 {
                    k += 1
                    let line = Array("{\"id\":\(k),\"note\":\"row \(k)\"}\n".utf8)
                    if write(fd, line, line.count) < 0 { break }
                    Thread.sleep(forTimeInterval: interval)
                }
                if fd >= 0 { close(fd) }
            }.start()
        }

        /// Ends the writer thread without waiting for it (waiting would hold a thread of the test pool).
        func stop() {
            stopped = true
            // Unblocks a writer still waiting in open() for a reader that never came; its next write fails.
            let fd = open(path, O_RDONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
        }
    }

    func scratch() -> String {
        try! TemporaryDirectory.make("cancel")
    }

    /// Runs `source` and cancels it after `after`; returns how long the run took to stop (at most
    /// `bound`: a run that ignores cancellation is recorded as an issue, not waited for forever).
    /// The bound is generous: alone a cancelled run stops in well under a second, but in the full suite on
    /// two cores the test pool's threads can be queued behind other tests' database work for tens of seconds.
    func runAndCancel(_ pipeline: Pipeline, _ source: Source, after: Duration, bound: Duration = .seconds(180)) async throws -> Duration {
        let started = ContinuousClock.now
        let run = Task { try await pipeline.run(source) }
        try await Task.sleep(for: after)
        run.cancel()
        let stopped = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await #expect(throws: CancellationError.self) { _ = try await run.value }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: bound)
                return false
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        #expect(stopped, "the run did not stop within \(bound) of being cancelled")
        return ContinuousClock.now - started
    }

    func packages(_ dir: String, _ stage: String, pipeline: String = "p") -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: dir + "/.sluice/\(pipeline)/packages/" + stage)) ?? []
    }

    @Test func aSourceThatNeverEndsStopsWhenCancelledAndLeavesNothing() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pipe = TricklingPipe(in: dir, interval: 0.05)
        defer { pipe.stop() }
        let destination = SQLiteDestination(path: dir + "/p.sqlite")
        var configuration = Pipeline.Configuration()
        configuration.workingDirectory = dir + "/.sluice"
        let pipeline = Pipeline(name: "p", destination: destination, configuration: configuration)
        let source = Source(name: "files", resources: [try FileResource.make(name: "feed", paths: [pipe.path])])

        // The source never ends: that the run stops at all (within the bound) is what cancellation did.
        _ = try await runAndCancel(pipeline, source, after: .milliseconds(600))
        let loaded = try FileManager.default.fileExists(atPath: dir + "/p.sqlite") && destination.withConnection { try $0.tableExists("feed") }
        #expect(!loaded)
        #expect(packages(dir, "extracted").isEmpty && packages(dir, "normalized").isEmpty)

        // The next run loads what it reads, once.
        let file = dir + "/rows.jsonl"
        try "{\"id\":1}\n{\"id\":2}\n".write(toFile: file, atomically: true, encoding: .utf8)
        _ = try await pipeline.run(Source(name: "files", resources: [try FileResource.make(name: "feed", paths: [file])]))
        #expect(try destination.withConnection { try $0.query("SELECT count(*) FROM feed") } == [["2"]])
    }

    @Test(.enabled(if: TestPostgres.available))
    func aCancelledPostgresLoadIsCancelledOnTheServerAndRolledBack() async throws {
        let p = try PostgresPipeline()
        defer {
            _ = try? p.query("DROP SCHEMA \"\(p.destination.dataset)\" CASCADE")
            try? FileManager.default.removeItem(atPath: p.dir)
        }
        try await p.run("orders", [["id": 0]])
        // Every inserted row now takes 50 ms on the server: 1,200 rows would take 60 s.
        try p.destination.withConnection { db in
            try db.execute("""
                CREATE FUNCTION "\(p.destination.dataset)".slow() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$ LANGUAGE plpgsql;
                CREATE TRIGGER slow BEFORE INSERT ON \(p.table("orders")) FOR EACH ROW EXECUTE FUNCTION "\(p.destination.dataset)".slow();
                """)
        }
        let rows: [Row] = (1...1_200).map { ["id": .bigint(Int64($0))] }
        let source = Source(name: "t", resources: [Resource(name: "orders") { out in try await out.write(contentsOf: rows) }])
        let took = try await runAndCancel(p.pipeline, source, after: .milliseconds(800))
        #expect(took < .seconds(50), "the load took \(took) to stop: the server did not cancel the statement")
        #expect(try p.query("SELECT count(*) FROM \(p.table("orders"))") == [["1"]])
        #expect(try p.query("SELECT count(*) FROM \(p.table("_dlt_loads"))") == [["1"]])
        #expect(try p.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%orders%' AND state = 'active'") == [["0"]])
        #expect(packages(p.dir, "extracted", pipeline: "pg").isEmpty && packages(p.dir, "normalized", pipeline: "pg").isEmpty)

        try p.destination.withConnection { try $0.execute("DROP TRIGGER slow ON \(p.table("orders"))") }
        _ = try await p.pipeline.run(source)
        #expect(try p.query("SELECT count(*), count(DISTINCT id) FROM \(p.table("orders"))") == [["1201", "1201"]])
    }
}
