import Foundation
import PipelineCore

extension Pipeline {
    /// Packages waiting for a stage and packages set aside after a failure, oldest first.
    public func packages() throws -> [PackageSummary] {
        var out: [PackageSummary] = []
        for stage in [PackageStorage.Stage.extracted, .normalized, .failed] {
            for loadId in storage.packages(in: stage) {
                let origin = stage == .failed ? storage.failedFrom(loadId) : stage
                let dir = storage.path(stage, loadId)
                var summary = PackageSummary(loadId: loadId, stage: PackageSummary.Stage(rawValue: stage.rawValue)!,
                                             rowCounts: try counts(origin, manifest: dir + "/manifest.json"))
                if stage == .failed {
                    summary.failedStage = origin == .extracted ? "normalize" : "load"
                    summary.error = (try? String(contentsOfFile: dir + "/error.txt", encoding: .utf8))?
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                }
                out.append(summary)
            }
        }
        return out.sorted { $0.loadId < $1.loadId }
    }

    private func counts(_ stage: PackageStorage.Stage, manifest path: String) throws -> [PackageSummary.Count] {
        if stage == .normalized {
            return try ManifestIO.read(NormalizedManifest.self, from: path).files.map { .init(table: $0.table, rows: $0.rows) }
        }
        return try ManifestIO.read(ExtractedManifest.self, from: path).entries.map { .init(table: $0.table, rows: $0.rows) }
    }

    /// Moves a failed package back to the stage that failed, so the next run normalizes or loads it again.
    ///
    /// If later loads committed a newer pipeline state meanwhile, the package's own state (its cursor) is
    /// dropped: its rows load, and the cursor stays where the later loads put it.
    public func retryPackage(_ loadId: String) async throws {
        let lock = try PipelineLock(directory: directory, pipeline: name)
        defer { withExtendedLifetime(lock) {} }
        try storage.prepare()
        guard storage.packages(in: .failed).contains(loadId) else {
            throw SluiceError(.configuration, "pipeline \(name) has no failed package \(loadId)"
                + Self.listing(storage.packages(in: .failed), "failed"))
        }
        let stage = storage.failedFrom(loadId)
        let dir = storage.path(.failed, loadId)
        let current = try await currentState()
        if stage == .normalized {
            var manifest = try ManifestIO.read(NormalizedManifest.self, from: dir + "/manifest.json")
            if let state = manifest.state, state.version <= current.version {
                manifest.state = nil
                try ManifestIO.write(manifest, to: dir + "/manifest.json")
            }
        } else {
            var manifest = try ManifestIO.read(ExtractedManifest.self, from: dir + "/manifest.json")
            if let state = manifest.state, state.version <= current.version {
                manifest.state = nil
                try ManifestIO.write(manifest, to: dir + "/manifest.json")
            }
        }
        for file in ["error.txt", "failed_from"] { try? FileManager.default.removeItem(atPath: dir + "/" + file) }
        try storage.advance(loadId, from: .failed, to: stage)
    }

    /// Deletes a pending or failed package: its rows are never loaded (and its state never committed).
    public func dropPackage(_ loadId: String) throws {
        let lock = try PipelineLock(directory: directory, pipeline: name)
        defer { withExtendedLifetime(lock) {} }
        try storage.prepare()
        for stage in [PackageStorage.Stage.extracted, .normalized, .failed] where storage.packages(in: stage).contains(loadId) {
            storage.remove(stage, loadId)
            return
        }
        let all = storage.packages(in: .extracted) + storage.packages(in: .normalized) + storage.packages(in: .failed)
        throw SluiceError(.configuration, "pipeline \(name) has no pending or failed package \(loadId)"
            + Self.listing(all.sorted(), "pending or failed"))
    }

    private static func listing(_ ids: [String], _ what: String) -> String {
        ids.isEmpty ? " (it has none)" : " (\(what): \(ids.joined(separator: ", ")))"
    }
}
