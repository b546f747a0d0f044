import Foundation
import PipelineCore

extension Pipeline {
    var localStatePath: String { directory + "/state.json" }

    /// The newest pipeline state among the local copy, the destination's and any package not loaded yet.
    ///
    /// The destination's copy is written in the same transaction as the rows, so it is never behind the
    /// data; the local copy can be (a run killed between the commit and the local write), and is then
    /// simply outvoted. On a fresh machine there is no local copy, and the destination's is used.
    public func currentState() async throws -> PipelineState {
        var candidates: [PipelineState] = []
        if FileManager.default.fileExists(atPath: localStatePath) {
            candidates.append(try ManifestIO.read(PipelineState.self, from: localStatePath))
        }
        if let stored = try await destination.storedState(pipeline: name) { candidates.append(stored) }
        for id in storage.packages(in: .extracted) {
            if let s = try ManifestIO.read(ExtractedManifest.self, from: storage.path(.extracted, id) + "/manifest.json").state {
                candidates.append(s)
            }
        }
        for id in storage.packages(in: .normalized) {
            if let s = try ManifestIO.read(NormalizedManifest.self, from: storage.path(.normalized, id) + "/manifest.json").state {
                candidates.append(s)
            }
        }
        return candidates.max { $0.version < $1.version } ?? PipelineState(pipeline: name)
    }

    func saveLocalState(_ state: PipelineState) throws {
        if FileManager.default.fileExists(atPath: localStatePath),
            let local = try? ManifestIO.read(PipelineState.self, from: localStatePath), local.version >= state.version
        {
            return
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tmp = localStatePath + ".tmp"
        try ManifestIO.write(state, to: tmp)
        guard rename(tmp, localStatePath) == 0 else { throw SluiceError(.io, "cannot save state to \(localStatePath)") }
    }

    /// Load packages that are waiting, by stage.
    public func pendingPackages() -> (extracted: [String], normalized: [String], failed: [String]) {
        (storage.packages(in: .extracted), storage.packages(in: .normalized), storage.packages(in: .failed))
    }

    /// Forgets one resource's state (its cursor and kept values), in the destination too: the next run
    /// starts that resource from its initial value.
    public func resetResource(_ resource: String) async throws {
        let lock = try PipelineLock(directory: directory, pipeline: name)
        defer { withExtendedLifetime(lock) {} }
        try storage.prepare()
        try await normalize()
        _ = try await loadPackages()
        var state = try await currentState()
        guard state.resources.removeValue(forKey: resource) != nil else {
            throw SluiceError(.configuration, "pipeline \(name) keeps no state for resource '\(resource)'"
                + (state.resources.isEmpty ? "" : " (it has: \(state.resources.keys.sorted().joined(separator: ", ")))"))
        }
        state.version += 1
        try await commitState(state)
    }

    /// Stores a new state with a load that has no rows, so the destination's copy moves too.
    func commitState(_ state: PipelineState) async throws {
        let loadId = LoadIds.make(after: (storage.packages(in: .loaded) + storage.packages(in: .normalized)).max())
        let package = NormalizedPackage(loadId: loadId, dataset: dataset, schema: try await currentSchema(), files: [],
                                        replacedRoots: [], state: state)
        try await destination.load(package)
        try saveLocalState(state)
    }

    /// Drops the pipeline's tables, its stored schema and state, and its working directory: the next run
    /// starts from nothing, as if new.
    public func fullRefresh() async throws {
        let lock = try PipelineLock(directory: directory, pipeline: name)
        defer { withExtendedLifetime(lock) {} }
        let schema = try await currentSchema()
        try await destination.drop(schema)
        for item in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where item != "lock" {
            try FileManager.default.removeItem(atPath: directory + "/" + item)
        }
    }
}

extension Pipeline {
    /// Pins types and hints from a schema file: its tables and columns become this pipeline's schema
    /// (merged over the current one, the file winning), so later loads coerce to those types.
    /// Returns the schema now in force. It reaches the destination with the next load.
    @discardableResult
    public func importSchema(_ imported: Schema) async throws -> Schema {
        let lock = try PipelineLock(directory: directory, pipeline: name)
        defer { withExtendedLifetime(lock) {} }
        var schema = try await currentSchema()
        for table in imported.tables {
            var table = table
            table.name = Naming.normalizePath(table.name)
            for k in table.columns.indices { table.columns[k].name = Naming.normalizePath(table.columns[k].name) }
            if let i = schema.tableIndex(named: table.name) {
                var merged = schema.tables[i]
                merged.writeDisposition = table.writeDisposition
                merged.mergeStrategy = table.mergeStrategy ?? merged.mergeStrategy
                for column in table.columns {
                    if let c = merged.columnIndex(named: column.name) { merged.columns[c] = column } else { merged.columns.append(column) }
                }
                schema.tables[i] = merged
            } else {
                schema.tables.append(table)
            }
        }
        schema.version += 1
        try saveSchema(schema)
        return schema
    }
}
