import Foundation
import PipelineCore

extension Pipeline {
    var localStatePath: String { directory + "/state.json" }

    /// The state the next run of this pipeline starts from, read from the destination it loads into.
    ///
    /// The destination's copy is written in the same transaction as the rows, so it is the truth: a
    /// destination or dataset that holds no state (new, deleted, dropped) gives the initial state, whatever
    /// the local copy says. Packages extracted from that state and not loaded yet come on top of it.
    public func currentState() async throws -> PipelineState {
        try await resolveState(for: nil).base
    }

    /// The stored state, the packages that build on it, and, given the source, the resources whose
    /// stored cursor no longer matches the destination (their table is missing or empty).
    func resolveState(for source: Source?) async throws -> StateResolution {
        let stored = try await destination.storedState(pipeline: name)
        var base = stored ?? PipelineState(pipeline: name)
        // Packages not loaded yet, oldest first: each one extracted from the state before it commits after it.
        // One extracted from another state (another destination's, or one since replaced) is not followed.
        var pending: [PipelineState] = []
        for id in storage.packages(in: .extracted) {
            if let s = try ManifestIO.read(ExtractedManifest.self, from: storage.path(.extracted, id) + "/manifest.json").state {
                pending.append(s)
            }
        }
        for id in storage.packages(in: .normalized) {
            if let s = try ManifestIO.read(NormalizedManifest.self, from: storage.path(.normalized, id) + "/manifest.json").state {
                pending.append(s)
            }
        }
        for s in pending.sorted(by: { $0.version < $1.version }) where s.version > base.version && s.follows(base) {
            base = s
        }
        var resolution = StateResolution(stored: stored, base: base, effective: base)
        for resource in source?.resources ?? [] where base.resources[resource.name]?.cursor != nil {
            guard let incremental = resource.hints.incremental, incremental.endValue == nil,
                resource.hints.writeDisposition != .replace else { continue }
            // A cursor says "these rows are loaded": trust it only while its table holds rows.
            if try await destination.tableHasRows(Naming.normalizePath(resource.tableName)) == false {
                resolution.effective.resources[resource.name] = nil
                resolution.resetResources.append(resource.name)
            }
        }
        return resolution
    }

    /// Drops the normalized packages extracted from a state the destination no longer holds (another
    /// destination's, or one from before the destination was reset): loading them would apply a cursor
    /// that does not match its data. Their rows are extracted again. Returns their load ids.
    func dropStalePackages() async throws -> [String] {
        var head = try await destination.storedState(pipeline: name) ?? PipelineState(pipeline: name)
        var dropped: [String] = []
        for id in storage.packages(in: .normalized) {
            guard let s = try ManifestIO.read(NormalizedManifest.self, from: storage.path(.normalized, id) + "/manifest.json").state else {
                continue
            }
            if s.follows(head) {
                head = s
            } else {
                storage.remove(.normalized, id)
                dropped.append(id)
            }
        }
        return dropped
    }

    /// Writes the local copy of `state`, naming this pipeline's destination and dataset.
    func saveLocalState(_ state: PipelineState) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try LocalStateCopy(destination: destination.name, location: destination.location, dataset: dataset, state: state)
            .write(to: localStatePath)
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
        try await destination.withRunLock(pipeline: name) {
            try storage.prepare()
            try await normalize()
            _ = try await dropStalePackages()
            _ = try await loadPackages()
            let state = try await currentState()
            var resources = state.resources
            guard resources.removeValue(forKey: resource) != nil else {
                throw SluiceError(.configuration, "pipeline \(name) keeps no state for resource '\(resource)' in \(destination.name) at \(destination.location)"
                    + (state.resources.isEmpty ? "" : " (it has: \(state.resources.keys.sorted().joined(separator: ", ")))"))
            }
            try await commitState(state.successor(resources: resources))
        }
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
    /// starts from nothing, as if new. `kept`: files of the working directory that define the pipeline
    /// rather than hold its state (what `sluice load` recorded), left in place.
    public func fullRefresh(keeping kept: Set<String> = []) async throws {
        let lock = try PipelineLock(directory: directory, pipeline: name)
        defer { withExtendedLifetime(lock) {} }
        try await destination.withRunLock(pipeline: name) {
            let schema = try await currentSchema()
            try await destination.drop(schema)
            for item in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where item != "lock" && !kept.contains(item) {
                try FileManager.default.removeItem(atPath: directory + "/" + item)
            }
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
