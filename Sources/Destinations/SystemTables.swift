import DatabaseClients
import Foundation
import PipelineCore

/// dlt's system tables, defined once; each destination maps the types to its own.
enum SystemTables {
    static let all: [TableSchema] = [
        table("_dlt_loads", [("load_id", .text, false), ("schema_name", .text, true), ("status", .bigint, false),
                             ("inserted_at", .timestamp, false), ("schema_version_hash", .text, true)]),
        table("_dlt_version", [("version", .bigint, false), ("engine_version", .bigint, false), ("inserted_at", .timestamp, false),
                               ("schema_name", .text, false), ("version_hash", .text, false), ("schema", .text, false)]),
        table("_dlt_pipeline_state", [("version", .bigint, false), ("engine_version", .bigint, false),
                                      ("pipeline_name", .text, false), ("state", .text, false), ("created_at", .timestamp, false),
                                      ("version_hash", .text, true), ("_dlt_load_id", .text, false), ("_dlt_id", .text, false)]),
    ]

    private static func table(_ name: String, _ columns: [(String, DataType, Bool)]) -> TableSchema {
        TableSchema(name: name, columns: columns.map { ColumnSchema(name: $0.0, dataType: $0.1, nullable: $0.2) })
    }

    /// `CREATE TABLE IF NOT EXISTS` for each, given how a destination names tables and types.
    static func createStatements(table: (String) -> String, sqlType: (DataType) -> String) -> [String] {
        all.map { t in
            let columns = t.columns.map { quoteIdentifier($0.name) + " " + sqlType($0.dataType) + ($0.nullable ? "" : " NOT NULL") }
            return "CREATE TABLE IF NOT EXISTS \(table(t.name)) (\(columns.joined(separator: ", ")))"
        }
    }
}

/// The rows a load adds to the system tables: the schema version (once per version), the pipeline
/// state (when the load carries one) and the `_dlt_loads` row. Written inside the load's transaction.
struct SystemRecords {
    let package: NormalizedPackage

    /// Refuses the package, before anything is written, when its state was not computed from the newest
    /// state the destination holds for the pipeline: another run committed meanwhile, or the dataset was
    /// reset. Called inside the load's transaction, serialized with the pipeline's other commits.
    /// `destination` names the destination for the message (`sqlite at x.sqlite`), never with credentials.
    func checkState(destination: String, table: (String) -> String, query: (String, [String]) throws -> [[String?]]) throws {
        guard let state = package.state else { return }
        let rows = try query("SELECT state FROM \(table("_dlt_pipeline_state")) WHERE pipeline_name = $1 ORDER BY version DESC LIMIT 1",
                             [state.pipeline])
        let stored = try (rows.first?[0] ?? nil).map { try JSONDecoder().decode(PipelineState.self, from: Data($0.utf8)) }
        guard !state.follows(stored) else { return }
        throw SluiceError(
            .stateConflict,
            "pipeline \(state.pipeline): the state in \(destination) is "
                + (stored.map { "version \($0.version)" } ?? "gone (none stored)")
                + ", not the version \(state.version - 1) this package was extracted from: another run committed meanwhile,"
                + " or the destination was reset; nothing of the package was written")
    }

    /// Runs the inserts through `query` (text parameters `$1`, `$2`, ... in order, which SQLite reads too).
    func write(table: (String) -> String, query: (String, [String]) throws -> [[String?]]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let schemaJSON = String(decoding: try encoder.encode(package.schema), as: UTF8.self)
        let hash = SchemaHash.of(schemaJSON)
        let now = Timestamps.formatTimestamp(Int64(Date().timeIntervalSince1970 * 1_000_000))
        let schemaName = package.schema.name
        if try query("SELECT 1 FROM \(table("_dlt_version")) WHERE version_hash = $1 AND schema_name = $2", [hash, schemaName]).isEmpty {
            _ = try query("INSERT INTO \(table("_dlt_version")) VALUES ($1, 1, $2, $3, $4, $5)",
                          [String(package.schema.version), now, schemaName, hash, schemaJSON])
        }
        if let state = package.state {
            let stateJSON = String(decoding: try encoder.encode(state), as: UTF8.self)
            _ = try query("INSERT INTO \(table("_dlt_pipeline_state")) VALUES ($1, 1, $2, $3, $4, $5, $6, $7)",
                          [String(state.version), state.pipeline, stateJSON, now, SchemaHash.of(stateJSON), package.loadId,
                           StableHash.of(package.loadId + "state")])
        }
        _ = try query("INSERT INTO \(table("_dlt_loads")) VALUES ($1, $2, 0, $3, $4)", [package.loadId, schemaName, now, hash])
    }
}

/// A short stable hash of a schema's JSON (FNV-1a, 64 bits, base64).
enum SchemaHash {
    static func of(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return Base64.encode((0..<8).map { UInt8(truncatingIfNeeded: h >> (8 * UInt64($0))) })
    }
}
