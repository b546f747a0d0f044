import SluiceProject
import Foundation
import Logging
import PipelineCore
import Pipelines
import Synchronization

/// Progress of one pipeline run, for people: `-v` logs each stage's start and end, and a terminal
/// gets a live line (rows, rate, elapsed) on standard error.
///
/// Extraction is counted exactly, by wrapping the source's resources; normalize and load are seen in
/// the pipeline's package folders, where a package's stage is the folder it is in
/// (`packages/normalized-tmp/` while normalizing, `packages/normalized/` until loaded).
final class LoadProgress: Sendable {
    enum Stage: String { case extract, normalize, load }

    struct Configuration {
        /// Log stage starts and ends (`-v`).
        var logStages = false
        /// Redraw a live line on standard error (a terminal, no `--quiet`).
        var live = false
    }

    private struct Status {
        var stage: Stage?
        var stageStart = ContinuousClock.now
        var seen: Set<Stage> = []
        var extracting = 0
    }

    private let rows = RowCounter()
    private let status = Mutex(Status())
    private let packages: String
    private let logger: Logger
    private let configuration: Configuration

    init(pipelineDirectory: String, logger: Logger, configuration: Configuration) {
        packages = pipelineDirectory + "/packages"
        self.logger = logger
        self.configuration = configuration
    }

    /// Progress of pipeline `name` as the command's options ask: `-v` logs stages, a terminal without `--quiet` gets the live line.
    static func forCommand(pipeline name: String, global: GlobalOptions, quiet: Bool, logger: Logger) -> LoadProgress {
        LoadProgress(pipelineDirectory: global.workingDirectory + "/" + name, logger: logger,
                     configuration: Configuration(logStages: global.verbose, live: isTerminal(quiet: quiet)))
    }

    /// Whether a terminal should get the live line: standard error is a TTY and `--quiet` was not given.
    static func isTerminal(quiet: Bool) -> Bool { !quiet && isatty(STDERR_FILENO) == 1 }

    /// `source` with each resource's rows counted on their way to the engine.
    func wrap(_ source: Source) -> Source {
        Source(name: source.name, resources: source.resources.map { resource in
            Resource(name: resource.name, hints: resource.hints) { [self] out in
                begin()
                defer { end() }
                try await resource.produce(CountingWriter.make(out, counter: rows))
            }
        })
    }

    /// Runs `body` (the pipeline run) while watching its stages; logs what the watch missed from `info`.
    func watch(_ body: () async throws -> LoadInfo) async throws -> LoadInfo {
        guard configuration.logStages || configuration.live else { return try await body() }
        let watcher = Task { [self] in
            while !Task.isCancelled {
                poll()
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        defer { watcher.cancel() }
        let info = try await body()
        watcher.cancel()
        _ = await watcher.result
        transition(to: nil)
        if configuration.live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        // A stage shorter than the watch's period was not seen: log it from the run's own times.
        for (stage, seconds) in [(Stage.normalize, info.normalizeSeconds), (.load, info.loadSeconds)] where !status.withLock({ $0.seen.contains(stage) }) {
            log("\(stage.rawValue): started and finished in \(Self.format(seconds))")
        }
        return info
    }

    private func begin() {
        let first = status.withLock { s in
            s.extracting += 1
            return s.extracting == 1 && s.stage != .extract
        }
        if first { transition(to: .extract) }
    }

    private func end() {
        status.withLock { s in s.extracting -= 1 }
    }

    private func poll() {
        let extracting = status.withLock { $0.extracting > 0 }
        let stage: Stage? = extracting ? .extract
            : !Self.isEmpty(packages + "/normalized-tmp") ? .normalize
            : !Self.isEmpty(packages + "/normalized") ? .load
            : nil
        transition(to: stage)
        if configuration.live, let current = status.withLock({ $0.stage }) { render(current) }
    }

    private func transition(to stage: Stage?) {
        let (previous, elapsed) = status.withLock { s -> (Stage?, Double) in
            guard s.stage != stage else { return (s.stage, -1) }
            let before = (s.stage, Self.seconds(ContinuousClock.now - s.stageStart))
            s.stage = stage
            s.stageStart = .now
            if let stage { s.seen.insert(stage) }
            return before
        }
        guard elapsed >= 0 else { return }
        if let previous {
            let count = rows.count
            let detail = previous == .extract ? " (\(count) rows, \(Self.rate(count, elapsed)))" : ""
            log("\(previous.rawValue): finished in \(Self.format(elapsed))\(detail)")
        }
        if let stage {
            log("\(stage.rawValue): started")
            if configuration.live { render(stage) }
        }
    }

    private func render(_ stage: Stage) {
        let elapsed = status.withLock { Self.seconds(ContinuousClock.now - $0.stageStart) }
        var line = "\(stage.rawValue) \(Self.format(elapsed))"
        if stage == .extract {
            let count = rows.count
            line += "  \(count) rows  \(Self.rate(count, elapsed))"
        } else if stage == .normalize {
            line += String(format: "  %.1f MB written", Double(Self.size(packages + "/normalized-tmp")) / 1e6)
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    private func log(_ message: String) {
        guard configuration.logStages else { return }
        if configuration.live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        logger.info("\(message)")
    }

    /// Bytes of the files under `directory`.
    private static func size(_ directory: String) -> Int {
        let files = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        return files.reduce(0) { sum, file in
            sum + (((try? FileManager.default.attributesOfItem(atPath: directory + "/" + file))?[.size] as? Int) ?? 0)
        }
    }

    private static func isEmpty(_ directory: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).isEmpty
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func format(_ seconds: Double) -> String { String(format: "%.2f s", seconds) }

    static func rate(_ rows: Int, _ seconds: Double) -> String {
        seconds > 0 ? "\(Int(Double(rows) / seconds)) rows/s" : "- rows/s"
    }
}

/// A row count shared by the writers of a run and the watch reading it.
final class RowCounter: Sendable {
    let value = Atomic<Int>(0)
    func add(_ n: Int = 1) { value.add(n, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// Forwards a resource's rows to the engine's writer, counting them.
class CountingWriter: RowWriter {
    let inner: any RowWriter
    let counter: RowCounter

    /// A counting writer over `inner`; JSON rows keep their fast path when `inner` takes them.
    static func make(_ inner: any RowWriter, counter: RowCounter) -> CountingWriter {
        inner is any JSONRowWriter ? CountingJSONWriter(inner, counter: counter) : CountingWriter(inner, counter: counter)
    }

    init(_ inner: any RowWriter, counter: RowCounter) {
        self.inner = inner
        self.counter = counter
    }

    func write(_ row: Row) async throws {
        try await inner.write(row)
        counter.add()
    }

    @discardableResult func admit(_ row: Row) async throws -> Bool {
        let kept = try await inner.admit(row)
        counter.add()
        return kept
    }

    var window: IncrementalWindow? { inner.window }
    func state(_ key: String) -> String? { inner.state(key) }
    func setState(_ key: String, _ value: String) { inner.setState(key, value) }
}

/// A ``CountingWriter`` over a writer that takes JSON object text (and encoded rows, as the engine's does).
final class CountingJSONWriter: CountingWriter, JSONRowWriter, EncodedRowWriter {
    private let encodedInner: (any EncodedRowWriter)?
    private let jsonInner: (any JSONRowWriter)?

    override init(_ inner: any RowWriter, counter: RowCounter) {
        encodedInner = inner as? any EncodedRowWriter
        jsonInner = inner as? any JSONRowWriter  // cast once: a cast per row costs a conformance lookup
        super.init(inner, counter: counter)
    }

    func write(encoded row: EncodedRow) async throws {
        if let encodedInner { try await encodedInner.write(encoded: row) } else { try await inner.write(row.decoded()) }
        counter.add()
    }

    func write(jsonObject bytes: ArraySlice<UInt8>) async throws {
        if let jsonInner { try await jsonInner.write(jsonObject: bytes) } else {
            throw SluiceError(.badInput, "the engine's writer does not take JSON text")
        }
        counter.add()
    }

    func writeNow(jsonObject bytes: UnsafeBufferPointer<UInt8>) throws -> Bool {
        guard let jsonInner, try jsonInner.writeNow(jsonObject: bytes) else { return false }
        counter.add()
        return true
    }

    func writeNow(jsonObject bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int) throws -> Bool {
        guard let jsonInner, try jsonInner.writeNow(jsonObject: bytes, file: file, line: line) else { return false }
        counter.add()
        return true
    }

    var takesJSONLines: Bool { jsonInner?.takesJSONLines ?? false }

    func write(jsonLines lines: UnsafeBufferPointer<UInt8>, count: Int, file: String, firstLine: Int, place: LocalFilePlace?) throws {
        guard let jsonInner else { throw SluiceError(.badInput, "the engine's writer does not take JSON text") }
        try jsonInner.write(jsonLines: lines, count: count, file: file, firstLine: firstLine, place: place)
        counter.add(count)
    }
}
