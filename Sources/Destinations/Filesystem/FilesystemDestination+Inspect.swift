import PipelineCore

/// `sluice show` on a filesystem dataset: the tables and columns come from the stored schema
/// (`_dlt_version/`), row counts from the table's files, the last loads from their markers (`_dlt_loads/`).
extension FilesystemDestination: InspectableDestination {
    /// The rows in `table`'s files (of every schema stored in the dataset), each file counted by its format
    /// (``FileRowCounter``): what a reader globbing the table's folder gets, a load that has no marker yet
    /// included. `0` when the table has no files (a replace with no rows removes them all); `nil` when the
    /// dataset holds no schema at all. Reads every file whole, so it costs what the files weigh.
    public func rowCount(_ table: String) async throws -> Int? {
        let schemas = try schemaNames()
        guard !schemas.isEmpty else { return nil }
        var rows = 0
        for schemaName in schemas {
            for file in try files(of: table, schemaName: schemaName) {
                guard let bytes = try storage.read(file) else { continue }  // removed meanwhile by a replace
                rows += try FileRowCounter.count(bytes, name: storage.location + "/" + file)
            }
        }
        return rows
    }

    /// The newest completed loads (those with a marker), newest first, with the marker's `inserted_at`.
    public func lastLoads(limit: Int) async throws -> [(loadId: String, insertedAt: String)] {
        var loads: [(loadId: String, insertedAt: String)] = []
        for path in try storage.list(datasetFolder + "/_dlt_loads") where path.hasSuffix(".jsonl") {
            guard let row = try record(path), case .text(let loadId)? = row["load_id"] else { continue }
            let insertedAt: String
            switch row["inserted_at"] {
            case .text(let text)?: insertedAt = text
            case let value?: insertedAt = JSONText.encode(value)
            case nil: insertedAt = "-"
            }
            loads.append((loadId, insertedAt))
        }
        return Array(loads.sorted { $0.loadId > $1.loadId }.prefix(max(0, limit)))
    }
}
