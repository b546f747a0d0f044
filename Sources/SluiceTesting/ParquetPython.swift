import Foundation

/// A Python with pyarrow and DuckDB, to read back the Parquet files Sluice writes.
///
/// `.ci/run` makes it (`.venv-parquet`, git-ignored) and exports `SLUICE_PARQUET_PYTHON`. When there is
/// none, tests that need it are skipped with a message, except when `CI` is set, where they run and fail
/// (the convention of ``SharedMaterial``).
///
/// ```swift
/// @Test(.enabled(if: ParquetPython.shouldRun, "needs SLUICE_PARQUET_PYTHON (pyarrow, duckdb)"))
/// func readsBack() async throws {
///     let rows = try await ParquetPython.read(folder, engine: .pyarrow)
/// }
/// ```
public enum ParquetPython {
    /// The interpreter: `SLUICE_PARQUET_PYTHON`, else the repository's `.venv-parquet/bin/python` when present.
    public static var path: String? {
        if let given = ProcessInfo.processInfo.environment["SLUICE_PARQUET_PYTHON"], !given.isEmpty { return given }
        let local = SharedMaterial.repository.path + "/.venv-parquet/bin/python"
        return FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }

    /// Whether a test needing it should run: when there is one, or under CI (to fail).
    public static var shouldRun: Bool { path != nil || SharedMaterial.isRequired() }

    /// Which reader reads the files back.
    public enum Engine: String, Sendable { case pyarrow, duckdb }

    /// What a reader saw: each column's name and type as the reader names it, and the rows (values as
    /// JSON: timestamps and dates in ISO 8601, decimals as text, binary as hex), sorted by the first column.
    public struct Table: Sendable, Equatable {
        public var columns: [(name: String, type: String)]
        public var rows: [[String]]
        public static func == (a: Table, b: Table) -> Bool {
            a.columns.map { "\($0.name):\($0.type)" } == b.columns.map { "\($0.name):\($0.type)" } && a.rows == b.rows
        }
    }

    /// Reads every `*.parquet` file under `folder` with `engine`. Runs the interpreter off the test pool.
    public static func read(_ folder: String, engine: Engine) async throws -> Table {
        try await read([folder], engine: engine)[0]
    }

    /// Reads the files of each folder as one table, in one run of the interpreter.
    public static func read(_ folders: [String], engine: Engine) async throws -> [Table] {
        let output = try await run(script, [engine.rawValue] + folders)
        guard let list = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] else {
            throw Failure(message: "unexpected output: \(output.prefix(500))")
        }
        return try list.map { object in
            guard let columns = object["columns"] as? [[String]], let rows = object["rows"] as? [[String]] else {
                throw Failure(message: "unexpected output: \(output.prefix(500))")
            }
            return Table(columns: columns.map { ($0[0], $0[1]) }, rows: rows)
        }
    }

    /// Runs `python -c source arguments...`, returning its standard output; fails with its standard error.
    public static func run(_ source: String, _ arguments: [String]) async throws -> String {
        guard let path else { throw Failure(message: "no Python with pyarrow and duckdb: set SLUICE_PARQUET_PYTHON (.ci/run makes one)") }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let p = Process()
                    p.executableURL = URL(fileURLWithPath: path)
                    p.arguments = ["-c", source] + arguments
                    let out = Pipe(), err = Pipe()
                    p.standardOutput = out
                    p.standardError = err
                    p.standardInput = FileHandle.nullDevice
                    try p.run()
                    let errors = DispatchQueue(label: "stderr")
                    nonisolated(unsafe) var errorData = Data()
                    errors.async { errorData = err.fileHandleForReading.readDataToEndOfFile() }
                    let data = out.fileHandleForReading.readDataToEndOfFile()
                    p.waitUntilExit()
                    errors.sync {}
                    guard p.terminationStatus == 0 else {
                        throw Failure(message: "python exited \(p.terminationStatus): " + String(decoding: errorData, as: UTF8.self))
                    }
                    return String(decoding: data, as: UTF8.self)
                })
            }
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Prints `{"columns": [[name, type]], "rows": [[value as JSON text]]}` for the Parquet files of a folder.
    static let script = #"""
import sys, json, glob, datetime, decimal
engine, folders = sys.argv[1], sys.argv[2:]
def text(v):
    if v is None: return "null"
    if isinstance(v, datetime.datetime): return v.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(v, datetime.date): return v.isoformat()
    if isinstance(v, decimal.Decimal): return format(v, "f")
    if isinstance(v, (bytes, bytearray, memoryview)): return bytes(v).hex()
    if isinstance(v, float): return repr(v)
    return json.dumps(v, ensure_ascii=False)
out = []
for folder in folders:
    files = sorted(glob.glob(folder + "/**/*.parquet", recursive=True))
    if engine == "pyarrow":
        import pyarrow.parquet as pq, pyarrow as pa
        table = pa.concat_tables([pq.read_table(f) for f in files])
        columns = [[f.name, str(f.type) + ("" if f.nullable else " not null")] for f in table.schema]
        rows = [[text(r[c[0]]) for c in columns] for r in table.to_pylist()]
    else:
        import duckdb
        rel = duckdb.sql("SELECT * FROM read_parquet([" + ", ".join("'" + f + "'" for f in files) + "])")
        columns = [[n, str(t)] for n, t in zip(rel.columns, rel.types)]
        rows = [[text(v) for v in r] for r in rel.fetchall()]
    rows.sort(key=lambda r: r[0])
    out.append({"columns": columns, "rows": rows})
print(json.dumps(out))
"""#
}
