import Foundation
import PipelineCore

/// dlt's system tables as files under the dataset's folder, one JSON line each, with the columns the SQL
/// destinations give those tables (so a warehouse can ingest them too):
/// `_dlt_version/<schema>__<hash>.jsonl`, `_dlt_pipeline_state/<pipeline>__<load_id>__<hash>.jsonl` and
/// the load's marker `_dlt_loads/<schema>__<load_id>.jsonl`. A state counts only once its load's marker exists.
extension FilesystemDestination {
    func markerPath(schemaName: String, loadId: String) -> String {
        datasetFolder + "/_dlt_loads/" + schemaName + "__" + loadId + ".jsonl"
    }

    /// The schema's version file, the state's file (when the package carries a state) and, last, the marker.
    func systemFiles(_ package: NormalizedPackage) throws -> [(path: String, bytes: [UInt8])] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let schemaJSON = String(decoding: try encoder.encode(package.schema), as: UTF8.self)
        let schemaHash = String(SHA256.hex(schemaJSON).prefix(16))
        let now = Value.timestamp(Int64(Date().timeIntervalSince1970 * 1_000_000))
        let schemaName = package.schema.name
        func line(_ row: Row) -> [UInt8] { Array((JSONText.encode(.object(row)) + "\n").utf8) }
        var out: [(String, [UInt8])] = []
        out.append((datasetFolder + "/_dlt_version/" + schemaName + "__" + schemaHash + ".jsonl", line([
            "version": .bigint(Int64(package.schema.version)), "engine_version": 1, "inserted_at": now,
            "schema_name": .text(schemaName), "version_hash": .text(schemaHash), "schema": .text(schemaJSON),
        ])))
        if let state = package.state {
            let stateJSON = String(decoding: try encoder.encode(state), as: UTF8.self)
            let stateHash = String(SHA256.hex(stateJSON).prefix(16))
            out.append((datasetFolder + "/_dlt_pipeline_state/" + state.pipeline + "__" + package.loadId + "__" + stateHash + ".jsonl", line([
                "version": .bigint(Int64(state.version)), "engine_version": 1, "pipeline_name": .text(state.pipeline),
                "state": .text(stateJSON), "created_at": now, "version_hash": .text(stateHash),
                "_dlt_load_id": .text(package.loadId), "_dlt_id": .text(StableHash.of(package.loadId + "state")),
            ])))
        }
        out.append((markerPath(schemaName: schemaName, loadId: package.loadId), line([
            "load_id": .text(package.loadId), "schema_name": .text(schemaName), "status": 0, "inserted_at": now,
            "schema_version_hash": .text(schemaHash),
        ])))
        return out
    }

    /// The first JSON object of a system file, or an error naming the file.
    func record(_ path: String) throws -> Row? {
        guard let bytes = try storage.read(path) else { return nil }
        let text = bytes.prefix { $0 != 0x0A }
        guard case .object(let row)? = try? JSONText.decode(Array(text)) else {
            throw SluiceError(.destination, "not a JSON object", file: storage.location + "/" + path)
        }
        return row
    }

    /// Load ids whose marker exists.
    func completedLoads() throws -> Set<String> {
        Set(try storage.list(datasetFolder + "/_dlt_loads").compactMap { path -> String? in
            let name = fileName(path)
            guard name.hasSuffix(".jsonl"), let cut = name.range(of: "__", options: .backwards) else { return nil }
            return String(name[cut.upperBound...].dropLast(".jsonl".count))
        })
    }

    /// Names of the schemas stored in this dataset.
    func schemaNames() throws -> [String] {
        Array(Set(try storage.list(datasetFolder + "/_dlt_version").compactMap { path -> String? in
            let name = fileName(path)
            return name.range(of: "__", options: .backwards).map { String(name[..<$0.lowerBound]) }
        })).sorted()
    }

    public func storedSchema(named name: String) async throws -> Schema? {
        var best: (version: Int64, text: String)?
        for path in try storage.list(datasetFolder + "/_dlt_version") where fileName(path).hasPrefix(name + "__") {
            guard let row = try record(path), case .text(let schemaName)? = row["schema_name"], schemaName == name,
                  case .bigint(let version)? = row["version"], case .text(let text)? = row["schema"] else { continue }
            if best == nil || version > best!.version { best = (version, text) }
        }
        guard let best else { return nil }
        return try JSONDecoder().decode(Schema.self, from: Data(best.text.utf8))
    }

    /// The newest state of `pipeline` whose load completed (its marker exists).
    public func storedState(pipeline: String) async throws -> PipelineState? {
        try syncStoredState(pipeline: pipeline)
    }

    /// Refuses the package, before anything is published, when its state was not computed from the
    /// newest stored one (another run committed meanwhile, or the dataset was reset). Runs under the commit lock.
    func checkState(_ package: NormalizedPackage) throws {
        guard let state = package.state else { return }
        let stored = try syncStoredState(pipeline: state.pipeline)
        guard !state.follows(stored) else { return }
        throw SluiceError(
            .stateConflict,
            "pipeline \(state.pipeline): the state in filesystem at \(location) is "
                + (stored.map { "version \($0.version)" } ?? "gone (none stored)")
                + ", not the version \(state.version - 1) this package was extracted from: another run committed meanwhile,"
                + " or the destination was reset; nothing of the package was written")
    }

    /// ``storedState(pipeline:)`` without `async`, for use under the commit lock.
    private func syncStoredState(pipeline: String) throws -> PipelineState? {
        let completed = try completedLoads()
        var best: (version: Int64, loadId: String, text: String)?
        for path in try storage.list(datasetFolder + "/_dlt_pipeline_state") where fileName(path).hasPrefix(pipeline + "__") {
            guard let row = try record(path), case .text(let name)? = row["pipeline_name"], name == pipeline,
                  case .text(let loadId)? = row["_dlt_load_id"], completed.contains(loadId),
                  case .bigint(let version)? = row["version"], case .text(let text)? = row["state"] else { continue }
            if best == nil || version > best!.version || (version == best!.version && loadId > best!.loadId) {
                best = (version, loadId, text)
            }
        }
        guard let best else { return nil }
        return try JSONDecoder().decode(PipelineState.self, from: Data(best.text.utf8))
    }
}
