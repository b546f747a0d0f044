import Foundation
import PipelineCore
import Synchronization

/// A destination that keeps loaded rows in memory: for unit tests of the engine and the normalizer,
/// where what matters is the rows and schema a load hands over, not how a database stores them.
///
/// It implements `append` and `replace` (the package's ``NormalizedPackage/replacedRoots`` empty their
/// table chains first) and keeps the newest schema and state, so incremental runs work. `merge` is
/// refused: merge semantics are tested against SQLite and Postgres, where they are implemented.
/// Acceptance tests use a real destination.
public final class InMemoryDestination: Destination, Sendable {
    public let name = "memory"
    public let location = "memory"
    public let limits: DestinationLimits

    private struct Stored {
        var tables: [String: [Row]] = [:]
        var schemas: [String: Schema] = [:]
        var states: [String: PipelineState] = [:]
        var loads: [String] = []
    }

    private let stored = Mutex(Stored())

    public init(limits: DestinationLimits = DestinationLimits()) { self.limits = limits }

    /// The rows of `table` in load order, each with the columns the package gave it (nulls omitted).
    public func rows(_ table: String) -> [Row] { stored.withLock { $0.tables[table] ?? [] } }

    /// The load ids of the packages loaded so far, oldest first.
    public var loadIds: [String] { stored.withLock { $0.loads } }

    public func load(_ package: NormalizedPackage) async throws {
        if package.files.contains(where: { file in
            package.schema.table(named: file.table)?.writeDisposition == .merge
        }) {
            throw SluiceError(.destination, "the in-memory test destination does not merge; use SQLite or Postgres")
        }
        var loaded: [String: [Row]] = [:]
        for file in package.files {
            guard let table = package.schema.table(named: file.table) else {
                throw SluiceError(.destination, "package \(package.loadId) has rows for unknown table \(file.table)")
            }
            loaded[file.table, default: []] += try Self.read(file.path, columns: table.columns)
        }
        stored.withLock { s in
            for root in package.replacedRoots {
                for table in package.schema.tableChain(root: root) { s.tables[table.name] = [] }
            }
            for file in package.files { s.tables[file.table, default: []] += loaded[file.table] ?? [] }
            s.schemas[package.schema.name] = package.schema
            if let state = package.state { s.states[state.pipeline] = state }
            s.loads.append(package.loadId)
        }
    }

    public func storedSchema(named name: String) async throws -> Schema? { stored.withLock { $0.schemas[name] } }

    public func storedState(pipeline: String) async throws -> PipelineState? { stored.withLock { $0.states[pipeline] } }

    public func drop(_ schema: Schema) async throws {
        stored.withLock { s in
            for table in schema.tables { s.tables[table.name] = nil }
            s.schemas[schema.name] = nil
            s.states[schema.name] = nil
        }
    }

    public func tableHasRows(_ table: String) async throws -> Bool? { stored.withLock { !($0.tables[table] ?? []).isEmpty } }

    /// The rows of a normalized row file, keyed by column name.
    static func read(_ path: String, columns: [ColumnSchema]) throws -> [Row] {
        let reader = try PackageFileReader(path: path)
        var rows: [Row] = []
        var frame: [UInt8] = []
        while try reader.readFrame(appendingTo: &frame) != nil {
            var row = Row()
            try frame.withUnsafeBufferPointer { bytes throws in
                var cursor = FlatRowCursor(bytes)
                while let (column, payload) = cursor.next() {
                    guard column < columns.count else { continue }
                    let value = Self.value(payload)
                    if value != .null { row.append(columns[column].name, value) }
                }
                try cursor.checkEnd()
            }
            rows.append(row)
            frame.removeAll(keepingCapacity: true)
        }
        return rows
    }

    static func value(_ payload: FieldPayload) -> Value {
        func text(_ p: UnsafeBufferPointer<UInt8>) -> String { String(decoding: p, as: UTF8.self) }
        switch payload {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .bigint(let i): return .bigint(i)
        case .double(let d): return .double(d)
        case .scaledDouble(let m, let k): return .double(FieldPayload.scaledDouble(m, k))
        case .decimal(let p): return .decimal(text(p))
        case .text(let p): return .text(text(p))
        case .date(let d): return .date(d)
        case .timestamp(let t): return .timestamp(t)
        case .binary(let p): return .binary(Array(p))
        }
    }
}
