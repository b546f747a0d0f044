import Foundation
import PipelineCore
import Synchronization

/// The files of one table in one load, written as its rows arrive: a new file whenever one reaches
/// ``FilesystemDestination/Configuration/fileMaxItems`` rows or ``FilesystemDestination/Configuration/fileMaxBytes``
/// bytes, or when the table gained columns since the file began (a file's columns, a CSV header or a
/// Parquet schema, are fixed when it starts; dlt rotates its files on a schema change too).
struct TableFiles {
    private(set) var table: TableSchema
    private var writer: (any RowFileWriter)?
    private var rowsInFile = 0
    private var frame: [UInt8] = []

    init(table: TableSchema) { self.table = table }

    /// Writes the frames `next` appends (see ``LoadSession/append(_:rows:)``) as rows of `table`, whose
    /// columns may have grown since the last call; new files go under staging names into `staged`.
    /// Throws `CancellationError` when `isCancelled` says so (checked every 4,096 rows).
    mutating func write(rows next: (inout [UInt8]) throws -> Int?, of destination: FilesystemDestination, schemaName: String,
                        loadId: String, staged: inout [(staging: String, path: String)], isCancelled: () -> Bool,
                        as current: TableSchema? = nil) throws
    {
        if let current, current.columns.count != table.columns.count {
            try finish()  // the next row starts a file with every column
            table = current
        }
        let configuration = destination.configuration
        let maxItems = configuration.fileMaxItems ?? .max
        let maxBytes = configuration.fileMaxBytes ?? .max
        if frame.capacity == 0 { frame.reserveCapacity(1 << 12) }
        var count = 0
        while try next(&frame) != nil {
            if writer == nil {
                let path = destination.datasetFolder + "/" + destination.layout.path(
                    table: table.name, schemaName: schemaName, loadId: loadId,
                    fileId: FilesystemDestination.fileId(loadId: loadId, table: table.name, sequence: staged.count),
                    ext: configuration.fileExtension)
                let staging = try destination.storage.stagingPath(for: path)
                staged.append((staging, path))
                writer = try destination.makeWriter(path: staging, table: table)
                rowsInFile = 0
            }
            try frame.withUnsafeBufferPointer { try writer!.write($0) }
            frame.removeAll(keepingCapacity: true)
            rowsInFile += 1
            count += 1
            if count & 4095 == 0, isCancelled() { throw CancellationError() }
            if rowsInFile >= maxItems || (maxBytes < .max && writer!.approximateSize >= maxBytes) { try finish() }
        }
    }

    /// Completes the file being written, if any.
    mutating func finish() throws {
        defer { writer = nil }
        try writer?.finish()
    }
}

/// A filesystem load fed while its package is normalized (``LoadSession``): the rows of `append` tables go
/// into their files under staging names as they arrive; ``commit(_:streamed:)`` writes the other tables,
/// then publishes everything as ``FilesystemDestination/load(_:)`` does. The session holds the dataset's
/// commit lock throughout, so other loads into the dataset wait and none takes its staged files for a
/// killed load's. Nothing is visible under a final name before the commit; a rollback, a failure or a
/// kill leaves only staged files, which the next load into the dataset removes.
final class FilesystemLoadSession: LoadSession {
    private let destination: FilesystemDestination
    private let schemaName: String
    private let loadId: String
    private let lock: StorageLock
    private var tables: [String: TableFiles] = [:]
    private var staged: [(staging: String, path: String)] = []
    private var open = true
    private let cancelled = Atomic<Bool>(false)

    init(destination: FilesystemDestination, schemaName: String, loadId: String, lock: StorageLock) {
        self.destination = destination
        self.schemaName = schemaName
        self.loadId = loadId
        self.lock = lock
    }

    deinit { rollback() }

    func append(_ table: TableSchema, rows next: (inout [UInt8]) throws -> Int?) throws {
        guard open else { throw SluiceError(.destination, "the load session has ended") }
        do {
            var files = tables.removeValue(forKey: table.name) ?? TableFiles(table: table)
            defer { tables[table.name] = files }
            try files.write(rows: next, of: destination, schemaName: schemaName, loadId: loadId, staged: &staged,
                            isCancelled: { cancelled.load(ordering: .relaxed) }, as: table)
        } catch {
            rollback()
            throw error
        }
    }

    func commit(_ package: NormalizedPackage, streamed: Set<String>) throws {
        guard open else { throw SluiceError(.destination, "the load session has ended") }
        defer {
            open = false
            lock.release()
        }
        do {
            guard package.loadId == loadId else {
                throw SluiceError(.package, "the load session began for load \(loadId), not \(package.loadId)")
            }
            try destination.refuseMerge(package)
            for name in tables.keys { try tables[name]!.finish() }
            tables = [:]
            if cancelled.load(ordering: .relaxed) { throw CancellationError() }
            let files = staged
            staged = []  // loadHoldingLock publishes or discards them from here on
            try destination.loadHoldingLock(package, streamed: streamed, staged: files) { cancelled.load(ordering: .relaxed) }
        } catch {
            for s in staged { destination.storage.discard(staging: s.staging) }
            staged = []
            throw error
        }
    }

    func rollback() {
        guard open else { return }
        open = false
        tables = [:]  // closes the files being written
        for s in staged { destination.storage.discard(staging: s.staging) }
        staged = []
        lock.release()
    }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
}
