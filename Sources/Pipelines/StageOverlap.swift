import Foundation
import PipelineCore

/// What the extract stage of a run tells the normalize stage reading along: the package it started,
/// how far each resource's file is written, and when it published the package (or gave up).
///
/// Shared by the extracting task and the normalizing thread; waits block the thread (never the
/// cooperative pool: only the normalizing thread waits here).
final class OverlapProgress: @unchecked Sendable {
    private let condition = NSCondition()
    private var header: (loadId: String, schema: Schema, entries: [ExtractedManifest.Entry])?
    private var readers: [Int: PackageFileReader] = [:]
    private var bytes: [Int: Int] = [:]
    private var done: Set<Int> = []
    private var manifest: ExtractedManifest?
    private var stopped = false
    /// Seconds the reader spent waiting for the writer (not busy).
    private(set) var waited: Double = 0

    private func update(_ body: () -> Void) {
        condition.lock()
        body()
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `ready` gives a value; throws once the run stopped.
    private func wait<T>(_ ready: () -> T?) throws(SluiceError) -> T {
        condition.lock()
        defer { condition.unlock() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { waited += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        while true {
            if stopped { throw Self.stop }
            if let value = ready() { return value }
            condition.wait()
        }
    }

    /// What the reading stage throws when the extract stage failed or the run was cancelled.
    static let stop = SluiceError(.package, "the extract stage stopped")
    /// What the extract stage throws when the reading stage failed (a broken row found as it was normalized).
    static let readerFailed = SluiceError(.package, "the normalize stage stopped")
    static func isReaderFailed(_ error: SluiceError) -> Bool { error.code == .package && error.message == readerFailed.message }
    private var failed = false

    /// The reading stage failed: the extract stage stops at its next flush.
    func readerFailed() { update { failed = true } }

    // The extract stage's side.
    func begin(loadId: String, schema: Schema, entries: [ExtractedManifest.Entry]) {
        update { header = (loadId, schema, entries) }
    }
    func started(_ k: Int, reader: PackageFileReader) { update { readers[k] = reader; bytes[k] = 0 } }
    /// Throws ``readerFailed`` once the reading stage has failed (``readerFailed()``): the extract stage stops.
    func flushed(_ k: Int, bytes n: Int) throws(SluiceError) {
        condition.lock()
        defer { condition.unlock() }
        if failed { throw Self.readerFailed }
        bytes[k] = n
        condition.broadcast()
    }
    func finished(_ k: Int, bytes n: Int) { update { bytes[k] = n; done.insert(k) } }
    func extracted(_ manifest: ExtractedManifest) { update { self.manifest = manifest } }
    /// The run stops: every wait throws ``stop``.
    func abort() { update { stopped = true } }

    // The normalize stage's side.
    func waitForBegin() throws(SluiceError) -> (loadId: String, schema: Schema, entries: [ExtractedManifest.Entry]) {
        try wait { header }
    }

    /// The reader of resource `k`'s file, gated to the bytes written so far.
    func reader(_ k: Int) throws(SluiceError) -> PackageFileReader {
        let reader = try wait { readers[k] }
        reader.gate = { [weak self] position throws(SluiceError) in
            guard let self else { throw Self.stop }
            return try wait { () -> Int?? in
                let written = bytes[k, default: 0]
                if written > position { return .some(written) }
                return done.contains(k) ? .some(nil) : nil
            }
        }
        return reader
    }

    func waitForManifest() throws(SluiceError) -> ExtractedManifest { try wait { manifest } }

    // The load stage's side.
    /// Waits until the extract stage published the package; `false` when the run stopped first. Its time
    /// is not counted in ``waited`` (the normalize stage's).
    func waitUntilExtracted() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while manifest == nil && !stopped { condition.wait() }
        return !stopped
    }
}

/// The queue from the normalize stage to the load stage of one run: batches of rows made readable in
/// the normalized files, then the finished package or a stop. It holds positions in files, never rows,
/// so memory does not grow with a load stage that lags behind.
final class LoadFeed: @unchecked Sendable {
    enum Item {
        /// Rows of load `loadId`'s `tables` readable up to `bytes` in their files, normalized against `schema`.
        case rows(loadId: String, schema: Schema, tables: [(table: String, bytes: Int)], newReaders: [String: PackageFileReader])
        /// The normalized package is published: load the rest and commit.
        case commit(NormalizedPackage)
        /// The run stops: roll back.
        case stop
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private var stopped = false
    private var session: (any LoadSession)?
    private(set) var waited: Double = 0

    /// The run stops: the statement in progress in the load stage's session is cancelled, and the next
    /// ``pop()`` returns ``Item/stop``, whatever is queued.
    func abort() {
        condition.lock()
        stopped = true
        session?.cancel()
        condition.signal()
        condition.unlock()
    }

    /// Whether the run was stopped (a commit must not start then).
    var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    /// The load stage's session, for ``abort()`` to cancel; `nil` once it ended.
    func attach(_ session: (any LoadSession)?) {
        condition.lock()
        self.session = session
        let cancelNow = stopped
        condition.unlock()
        if cancelNow { session?.cancel() }
    }

    func push(_ item: Item) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    func pop() -> Item {
        condition.lock()
        defer { condition.unlock() }
        let start = DispatchTime.now().uptimeNanoseconds
        while items.isEmpty && !stopped { condition.wait() }
        waited += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return stopped ? .stop : items.removeFirst()
    }
}

/// Runs `body` on a thread of its own (not the cooperative pool, which it may block) and awaits it.
func onThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }
}
