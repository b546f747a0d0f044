import Foundation
import PipelineCore

/// The load stage: normalized packages into the destination, one commit each.
extension Pipeline {
    /// Loads every normalized package, oldest first; each in one destination transaction.
    @discardableResult
    public func load() async throws -> [String] {
        try await loadPackages().map(\.loadId)
    }

    /// `failedOnce`: per load id, the error of an attempt made already (by an overlapped run's session).
    func loadPackages(failedOnce: [String: any Error] = [:]) async throws -> [LoadInfo.Package] {
        var loaded: [LoadInfo.Package] = []
        for loadId in storage.packages(in: .normalized) {
            let dir = storage.path(.normalized, loadId)
            let manifest = try ManifestIO.read(NormalizedManifest.self, from: dir + "/manifest.json")
            let package = manifest.package(in: dir)
            // A package with no rows, no replace and no state changes nothing: no `_dlt_loads` row for it.
            let changesNothing = manifest.files.allSatisfy { $0.rows == 0 } && manifest.replacedRoots.isEmpty
                && manifest.state == nil
            var attempt = 0
            var earlier = failedOnce[loadId]
            while !changesNothing {
                do {
                    if let error = earlier {
                        earlier = nil
                        throw error
                    }
                    try await destination.load(package)
                    break
                } catch where Task.isCancelled {
                    throw CancellationError()  // the destination rolled back
                } catch var error as SluiceError {
                    if error.code == .stateConflict {
                        // Extracted from a state the destination no longer holds: nothing was written, and
                        // loading it later could never succeed. Its rows are extracted again.
                        storage.remove(.normalized, loadId)
                    }
                    if error.code == .transient, attempt < configuration.loadRetryDelays.count {
                        try await Task.sleep(for: configuration.loadRetryDelays[attempt])
                        attempt += 1
                        continue
                    }
                    error.stage = "load"
                    error.loadId = loadId
                    if attempt > 0 { error.message += " (after \(attempt) retries)" }
                    if error.code == .badInput || error.code == .schema {
                        // The destination cannot hold this data: retrying cannot help, so the package is set
                        // aside (`sluice packages` lists, retries or drops it) and later runs proceed.
                        storage.setAside(loadId, from: .normalized, error: error)
                        error.message += "; the package was set aside in \(storage.path(.failed, loadId))"
                    }
                    throw error
                }
            }
            loaded.append(try committed(manifest))
        }
        storage.pruneLoaded(keep: configuration.keepLoadedPackages)
        return loaded
    }

    /// After the destination committed a normalized package: only now does the local copy of the state
    /// move on, and the package moves to `loaded/`.
    func committed(_ manifest: NormalizedManifest) throws -> LoadInfo.Package {
        if let state = manifest.state { try saveLocalState(state) }
        try storage.advance(manifest.loadId, from: .normalized, to: .loaded)
        return LoadInfo.Package(loadId: manifest.loadId, rowCounts: manifest.files.filter { $0.rows > 0 }.map { ($0.table, $0.rows) },
                                schemaChanges: manifest.changes, resumed: false,
                                skippedRows: manifest.skipped ?? 0, discardedRows: manifest.discardedRows ?? 0,
                                discardedValues: manifest.discardedValues ?? 0, state: manifest.state,
                                replacedTables: manifest.replacedRoots)
    }
}
