import SluiceTesting
import CSQLite
import Destinations
import Foundation
import DatabaseClients
import PipelineCore
import Pipelines
import Sources

/// A pipeline in a fresh temporary folder, loading into a real SQLite file there.
struct TestPipeline {
    let dir: String
    let pipeline: Pipeline
    let destination: SQLiteDestination

    init(name: String = "test") {
        dir = try! TemporaryDirectory.make("pipeline")
        destination = SQLiteDestination(path: dir + "/\(name).sqlite")
        var configuration = Pipeline.Configuration()
        configuration.workingDirectory = dir + "/.sluice"
        pipeline = Pipeline(name: name, destination: destination, dataset: name, configuration: configuration)
    }

    /// Runs one resource of in-memory rows.
    @discardableResult
    func run(_ table: String, _ rows: [Row], hints: ResourceHints = ResourceHints()) async throws -> LoadInfo {
        try await pipeline.run(Source(name: "test", resources: [Resource(name: table, hints: hints) { out in
            try await out.write(contentsOf: rows)
        }]))
    }

    /// The same pipeline (name, working folder, destination) with its stages overlapping or one after another.
    func pipeline(overlapStages: Bool) -> Pipeline {
        var configuration = Pipeline.Configuration()
        configuration.workingDirectory = dir + "/.sluice"
        configuration.overlapStages = overlapStages
        return Pipeline(name: pipeline.name, destination: destination, dataset: pipeline.name, configuration: configuration)
    }

    func file(_ name: String, _ text: String) -> String {
        let path = dir + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func query(_ sql: String) throws -> [[String?]] {
        try destination.withConnection { try $0.query(sql) }
    }

    func scalar(_ sql: String) throws -> String? { try query(sql).first?[0] ?? nil }

    func count(_ table: String) throws -> Int { Int(try scalar("SELECT count(*) FROM \"\(table)\"") ?? "0")! }

    func columns(_ table: String) throws -> [String] { try destination.withConnection { try $0.columns(of: table) } }

    func schema() async throws -> Schema { try await destination.storedSchema(named: pipeline.name)! }

    func type(_ table: String, _ column: String) async throws -> DataType? {
        try await schema().table(named: table)?.column(named: column)?.dataType
    }
}

extension TestPipeline {
    /// Every value of a column in its SQLite storage class, for exact comparisons.
    func typedValues(_ table: String, _ column: String) throws -> [Value] {
        try destination.withConnection { db in
            let stmt = try db.prepare("SELECT \"\(column)\" FROM \"\(table)\"")
            var out: [Value] = []
            while try stmt.step() {
                let h = stmt.handle
                switch sqlite3_column_type(h, 0) {
                case SQLITE_NULL: out.append(.null)
                case SQLITE_INTEGER: out.append(.bigint(sqlite3_column_int64(h, 0)))
                case SQLITE_FLOAT: out.append(.double(sqlite3_column_double(h, 0)))
                case SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(h, 0))
                    let p = sqlite3_column_blob(h, 0)!.assumingMemoryBound(to: UInt8.self)
                    out.append(.binary(Array(UnsafeBufferPointer(start: p, count: n))))
                default: out.append(.text(String(cString: sqlite3_column_text(h, 0))))
                }
            }
            return out
        }
    }
}
