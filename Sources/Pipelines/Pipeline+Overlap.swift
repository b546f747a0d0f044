import Foundation
import PipelineCore

/// Extract, normalize and load at the same time (issue 15): the extract stage writes the package's
/// resource files in the calling task; a normalize thread reads each file as it grows and writes the
/// normalized files; a load thread appends the rows of `append` tables to the destination inside one
/// open transaction (``LoadSession``) as they are normalized. Packages still move between stages by
/// atomic rename, and the transaction commits only after the normalized package is published, so a kill
/// at any point leaves either a package to finish (the destination untouched) or a committed load.
///
/// The overlap only accelerates: when anything unusual happens (bad input, a repeated primary key in a
/// merge batch, a destination error, a destination without sessions, tables that are not `append`),
/// the stage steps aside and the whole-package path (``normalize()``, ``loadPackages()``) finishes the
/// published package with its own retries, set-asides and state checks.
extension Pipeline {
    struct OverlappedRun {
        var loadId: String
        var start: StateResolution
        var loaded: [LoadInfo.Package]
        /// Busy seconds of each stage (waits for another stage excluded).
        var extract: Double, normalize: Double, load: Double
    }

    private enum LoadOutcome: Sendable {
        case committed(busy: Double)
        /// With the destination's error when a session call failed: the first attempt of the load.
        case notLoaded(busy: Double, error: (any Error)? = nil)
    }

    func runOverlapped(_ source: Source) async throws -> OverlappedRun {
        guard configuration.overlapStages else { return try await runInSequence(source) }
        let progress = OverlapProgress()
        let feed = LoadFeed()
        let stop: @Sendable () -> Void = { progress.abort(); feed.abort() }
        let normalizing = Task { await onThread("sluice.normalize") { normalizeAlong(progress, feed) } }
        let loading = Task { await onThread("sluice.load") { loadAlong(feed, progress) } }
        let clock = ContinuousClock()
        let t0 = clock.now
        let extracted: (loadId: String, start: StateResolution)
        do {
            extracted = try await withTaskCancellationHandler {
                try await extractPackage(source, overlap: progress)
            } onCancel: { stop() }
        } catch {
            stop()
            let (normalized, _) = await (normalizing.value, loading.value)
            // Extract stopped because normalize found a broken row: that row is the error (the partial
            // package is gone with the failed extract).
            if case .failure(let broken as BrokenSourcePackage) = normalized.result {
                var error = broken.error
                error.message += Self.removedBrokenPackage
                throw error
            }
            throw error
        }
        let extractSeconds = seconds(clock.now - t0)
        let (normalized, loadOutcome) = await withTaskCancellationHandler { await (normalizing.value, loading.value) } onCancel: { stop() }
        // The stages have ended: nothing runs on behind a throw from here on.
        try saveLocalState(extracted.start.base)
        var run = OverlappedRun(loadId: extracted.loadId, start: extracted.start, loaded: [], extract: extractSeconds,
                                normalize: normalized.busy, load: 0)
        if case .committed(let busy) = loadOutcome, case .success(let manifest) = normalized.result {
            run.load = busy
            run.loaded = [try committed(manifest)]
            storage.pruneLoaded(keep: configuration.keepLoadedPackages)
            return run
        }
        if case .failure(let broken as BrokenSourcePackage) = normalized.result {
            // Broken JSON in a file: the package goes without normalizing it again up to that row.
            throw removeBroken(extracted.loadId, broken.error)
        }
        var failedOnce: [String: any Error] = [:]
        if case .notLoaded(let busy, let error) = loadOutcome {
            run.load = busy
            failedOnce[extracted.loadId] = error
        }
        // The whole-package path: normalizes the package if the overlap did not, then loads it.
        let t1 = clock.now
        do {
            if Task.isCancelled { throw CancellationError() }
            try await normalizeOwn()
            let t2 = clock.now
            // A session that failed was the load's first attempt: the retry policy counts it.
            run.loaded = try await loadPackages(failedOnce: failedOnce)
            run.normalize += seconds(t2 - t1)
            run.load += seconds(clock.now - t2)
            return run
        } catch where Task.isCancelled {
            // Nothing of this run committed: its packages go, so a retry extracts afresh.
            storage.remove(.extracted, extracted.loadId)
            storage.remove(.normalized, extracted.loadId)
            throw CancellationError()
        }
    }

    /// One stage after another, each over the whole package.
    private func runInSequence(_ source: Source) async throws -> OverlappedRun {
        let clock = ContinuousClock()
        let t0 = clock.now
        let extracted = try await extractPackage(source)
        try saveLocalState(extracted.start.base)
        let t1 = clock.now
        do {
            try await normalizeOwn()
            let t2 = clock.now
            let loaded = try await loadPackages()
            return OverlappedRun(loadId: extracted.loadId, start: extracted.start, loaded: loaded, extract: seconds(t1 - t0),
                                 normalize: seconds(t2 - t1), load: seconds(clock.now - t2))
        } catch where Task.isCancelled {
            // Nothing of this run committed: its packages go, so a retry extracts afresh.
            storage.remove(.extracted, extracted.loadId)
            storage.remove(.normalized, extracted.loadId)
            throw CancellationError()
        }
    }

    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The normalize stage: follows the extract stage's files, hands rows over to the load stage every
    /// ``overlapBatch`` rows, and publishes the normalized package once the extracted one is published.
    private func normalizeAlong(_ progress: OverlapProgress, _ feed: LoadFeed) -> (result: Result<NormalizedManifest, any Error>, busy: Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        var dir: String?
        let result: Result<NormalizedManifest, any Error>
        do {
            let (loadId, before, entries) = try progress.waitForBegin()
            let temporary = try storage.beginTemporary(.normalized, loadId)
            dir = temporary
            let normalizer = Normalizer(schema: before, loadId: loadId, directory: temporary)
            var opened: Set<String> = []
            func handOver() throws {
                let files = try normalizer.flushForReaders()
                var readers: [String: PackageFileReader] = [:]
                // Opened now, while the files are under the temporary folder's name.
                for file in files where opened.insert(file.table).inserted { readers[file.table] = try PackageFileReader(path: file.path) }
                feed.push(.rows(loadId: loadId, schema: normalizer.schema, tables: files.map { ($0.table, $0.bytes) }, newReaders: readers))
            }
            try normalizeEntries(entries, loadId: loadId, into: normalizer, setAside: false, batch: max(1, configuration.overlapBatchRows),
                                 every: handOver) { k, _ in try progress.reader(k) }
            // A primary key repeats in a merge batch: the whole-package path normalizes again keeping the last row.
            guard try normalizer.supersededOrdinals() == nil else { throw Self.stepAside }
            try handOver()
            let manifest = try progress.waitForManifest()
            if let error = Self.linkedFileChanged(manifest, in: storage.path(.extracted, loadId), own: true) { throw BrokenSourcePackage(error: error) }
            let normalized = try publishNormalized(normalizer, of: manifest, before: before, from: temporary)
            feed.push(.commit(normalized.package(in: storage.path(.normalized, loadId))))
            result = .success(normalized)
        } catch {
            // A broken row in a file: the extract stage need not copy the rest of it.
            if error is BrokenSourcePackage { progress.readerFailed() }
            feed.push(.stop)
            if let dir { try? FileManager.default.removeItem(atPath: dir) }
            result = .failure(error)
        }
        let busy = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 - progress.waited
        return (result, max(0, busy))
    }

    private static let stepAside = SluiceError(.package, "the overlapped stages step aside")

    /// The load stage: appends the rows of `append` tables inside one destination session as they are
    /// handed over, and commits with the published package. A destination that asks for it
    /// (``Destination/opensSessionAfterExtract``) gets its session once the extract stage has published the
    /// package, so a slow or stalled source holds none of its locks; the rows normalized meanwhile are appended then.
    private func loadAlong(_ feed: LoadFeed, _ progress: OverlapProgress) -> LoadOutcome {
        let start = DispatchTime.now().uptimeNanoseconds
        var waitedForExtract = 0.0
        func busy() -> Double {
            max(0, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 - feed.waited - waitedForExtract)
        }
        var session: (any LoadSession)?
        defer { feed.attach(nil) }
        var failed = false
        var failure: (any Error)?
        var readers: [String: PackageFileReader] = [:]
        var streamed: Set<String> = []
        while true {
            switch feed.pop() {
            case .rows(let loadId, let schema, let tables, let newReaders):
                readers.merge(newReaders) { a, _ in a }
                guard !failed else { continue }
                do {
                    for (name, bytes) in tables {
                        guard let table = schema.table(named: name), table.writeDisposition == .append,
                              let reader = readers[name], reader.position < bytes else { continue }
                        if session == nil {
                            if destination.opensSessionAfterExtract {
                                let t0 = DispatchTime.now().uptimeNanoseconds
                                let extracted = progress.waitUntilExtracted()
                                waitedForExtract += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                                if !extracted { failed = true; break }  // the run stopped: `.stop` follows
                            }
                            session = try destination.beginLoad(schemaName: schema.name, loadId: loadId)
                            if session == nil { failed = true; break }  // whole packages only
                            feed.attach(session)
                        }
                        reader.gate = { $0 < bytes ? bytes : nil }
                        try session?.append(table, rows: reader.readFrame)
                        streamed.insert(name)
                    }
                } catch {
                    failed = true
                    failure = error
                    session?.rollback()
                    session = nil
                }
            case .commit(let package):
                // Tables appended to must still be `append` in the finished package (two resources may
                // share a table with different dispositions), else the whole-package path loads it.
                guard !failed, let session, !streamed.isEmpty, !feed.isStopped,
                      streamed.allSatisfy({ package.schema.table(named: $0)?.writeDisposition == .append })
                else {
                    session?.rollback()
                    return .notLoaded(busy: busy(), error: failure)
                }
                do {
                    try session.commit(package, streamed: streamed)
                    return .committed(busy: busy())
                } catch {
                    return .notLoaded(busy: busy(), error: error)  // rolled back
                }
            case .stop:
                session?.rollback()
                return .notLoaded(busy: busy())
            }
        }
    }
}
