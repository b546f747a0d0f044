import ArgumentParser
import Flows
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `sluice-bench`: overhead benchmarks, kept out of the product binary.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-bench", abstract: "Benchmarks of sluice's orchestration overhead and REST client.", subcommands: [FlowsBenchmark.self, RESTBenchmark.self])
}

/// A flow of no-op tasks, recorded in a real SQLite run store, timed end to end (store flushed).
struct FlowsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows",
        abstract: "Run a flow of no-op tasks and print the per-task overhead in microseconds on the last line.",
        discussion: "Example: swift run -c release sluice-bench flows --tasks 1000 --concurrent")

    @Option(help: "Number of no-op tasks.")
    var tasks = 1000

    @Flag(help: "Map the tasks concurrently instead of running them one after another.")
    var concurrent = false

    @Option(help: "At most this many tasks at once with --concurrent.")
    var maxConcurrency = 64

    @Flag(help: "Cache task results by input (a second run against the same store is all cache hits).")
    var cached = false

    @Option(help: "The run store (default: a fresh temporary file, removed afterwards).")
    var store: String?

    func run() async throws {
        let path = store ?? NSTemporaryDirectory() + "sluice-bench-\(UUID().uuidString)/runs.sqlite"
        defer { if store == nil { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) } }
        let runStore = try SQLiteRunStore(path: path)
        defer { runStore.close() }
        let runner = FlowRunner(store: runStore)

        let plain = FlowTask("noop") { (_, i: Int) -> Int in i }
        let noop = cached ? plain.cached(CachePolicy(expiration: .seconds(3600))) : plain
        let (count, concurrent, limit) = (tasks, self.concurrent, maxConcurrency)
        let flow = Flow("bench") { flow in
            if concurrent { return try await flow.map(noop, Array(0..<count), maxConcurrency: limit).count }
            for i in 0..<count { _ = try await flow.run(noop, i) }
            return count
        }

        let clock = ContinuousClock()
        let start = clock.now
        let run = await runner.run(flow, parameters: NoParameters())  // returns after the store is flushed
        let elapsed = (clock.now - start)
        guard run.state == .completed else { throw ValidationError("the flow ended \(run.state): \(run.error.map { "\($0)" } ?? "")") }

        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("flow run \(run.id): \(tasks) \(cached ? "cached " : "")no-op tasks \(concurrent ? "mapped concurrently (at most \(maxConcurrency))" : "sequentially")")
        print(String(format: "wall %.3f s, peak RSS %.1f MB", seconds, Double(usage.ru_maxrss) / 1024))
        print(String(format: "per-task overhead: %.1f us", seconds * 1e6 / Double(max(tasks, 1))))
    }
}
