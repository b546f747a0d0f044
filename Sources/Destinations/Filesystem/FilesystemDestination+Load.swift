import Foundation
import PipelineCore

extension FilesystemDestination {
    /// Loads a package under the dataset's commit lock: writes every table's files under staging names,
    /// checks the stored state, publishes the files, the schema and the state, removes what `replace`
    /// supersedes, and writes the load's marker last. Before publishing, it records the files it publishes
    /// (``publishingPath(schemaName:loadId:)``): an attempt killed half way through publishing leaves that
    /// record, and the next attempt at the same load removes the files it lists before publishing its own,
    /// so a load's rows never count twice. A package whose marker exists is not loaded again. Staged
    /// files that killed loads left in the dataset go first (``FileStorage/removeAbandonedStaging(under:lockedSince:)``).
    public func load(_ package: NormalizedPackage) async throws {
        try refuseMerge(package)
        try await storage.withLock("commit", in: datasetFolder, timeout: configuration.lockTimeout) {
            // Staged files a killed load left (kill -9 skips every cleanup) would stay in the bucket forever.
            _ = try? storage.removeAbandonedStaging(under: datasetFolder, lockedSince: Date())
            try loadHoldingLock(package)
        }
    }

    /// Its session holds the dataset's commit lock: it opens once the package is extracted.
    public var opensSessionAfterExtract: Bool { true }

    /// A session writes the files of `append` tables while the package is still being normalized (from
    /// when it is wholly extracted, ``opensSessionAfterExtract``), holding the dataset's commit lock from
    /// here to its commit or rollback (so no other load takes its staged files for a killed load's); the
    /// commit writes the other tables and publishes everything as ``load(_:)`` does. `nil` when another
    /// load holds the lock: the whole package then loads once it is normalized, waiting for the lock in
    /// ``load(_:)`` (a wait there can be cancelled; one here, on the load thread, could not).
    public func beginLoad(schemaName: String, loadId: String) throws -> (any LoadSession)? {
        guard let lock = try storage.tryLock("commit", in: datasetFolder) else { return nil }
        _ = try? storage.removeAbandonedStaging(under: datasetFolder, lockedSince: Date())
        return FilesystemLoadSession(destination: self, schemaName: schemaName, loadId: loadId, lock: lock)
    }

    /// Fails, naming the table, when the package merges into one (the engine refuses merge earlier, from ``limits``).
    func refuseMerge(_ package: NormalizedPackage) throws {
        if let reason = limits.refusesMerge,
           let merging = package.schema.dataTables.first(where: { t in t.writeDisposition == .merge && package.files.contains { $0.table == t.name } })
        {
            throw SluiceError(.badInput, "write disposition merge is not supported by the filesystem destination: \(reason)", table: merging.name)
        }
    }

    /// Loads `package` holding the commit lock. `staged`: the files a session wrote already for the
    /// `streamed` tables (their package files are not read again); all are discarded if the load fails.
    func loadHoldingLock(_ package: NormalizedPackage, streamed: Set<String> = [],
                         staged alreadyStaged: [(staging: String, path: String)] = [],
                         isCancelled: () -> Bool = { Task.isCancelled }) throws
    {
        var staged = alreadyStaged
        var published = false
        defer { if !published { for s in staged { storage.discard(staging: s.staging) } } }
        let schema = package.schema
        let record = publishingPath(schemaName: schema.name, loadId: package.loadId)
        if try storage.read(markerPath(schemaName: schema.name, loadId: package.loadId)) != nil {
            try storage.remove(record)
            return
        }
        try checkState(package)
        // An attempt at this load that was killed while publishing left files under final names, which this
        // attempt may not write again (other rotation points, files written as rows came): they go first.
        if let bytes = try storage.read(record) {
            // Only files of this dataset are removed, whatever the record says (it is a file anyone may edit).
            guard let paths = try? JSONDecoder().decode([String].self, from: Data(bytes)), paths.allSatisfy(isDatasetFile) else {
                throw SluiceError(.destination, "not a JSON list of this dataset's files (remove it if no load of this package "
                    + "was killed while publishing)", file: storage.location + "/" + record)
            }
            for path in paths { try storage.remove(path) }
        }
        for file in package.files where file.rowCount > 0 && !streamed.contains(file.table) {
            guard let table = schema.table(named: file.table) else {
                throw SluiceError(.package, "the package's schema has no table \(file.table)", loadId: package.loadId)
            }
            try writeTable(file, table: table, package: package, into: &staged, isCancelled: isCancelled)
        }
        let system = try systemFiles(package)
        for (path, bytes) in system.dropLast() { staged.append((try stage(bytes, as: path), path)) }
        // The last point at which nothing is visible: a cancelled load leaves the dataset as it was.
        if isCancelled() { throw CancellationError() }
        // The files about to be published, for a later attempt should this one be killed half way.
        let paths = staged.map(\.path) + system.suffix(1).map(\.path)
        try storage.publish(staging: try stage(Array(try JSONEncoder().encode(paths)), as: record), as: record)
        for s in staged { try storage.publish(staging: s.staging, as: s.path) }
        published = true
        let written = Set(staged.map(\.path))
        for root in package.replacedRoots {
            for table in schema.tableChain(root: root) {
                for old in try files(of: table.name, schemaName: schema.name) where !written.contains(old) { try storage.remove(old) }
            }
        }
        // The marker makes the load complete: its files, schema and state count from now on.
        if let (path, bytes) = system.last { try storage.publish(staging: try stage(bytes, as: path), as: path) }
        try storage.remove(record)
    }

    /// Whether `path` names a file under the dataset's folder: no `.` or `..` component, none empty, none hidden.
    func isDatasetFile(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count > 1 && parts[0] == Substring(datasetFolder)
            && parts.dropFirst().allSatisfy { !$0.isEmpty && !$0.hasPrefix(".") }
    }

    /// The list of files a load is publishing, kept until its marker is written: a hidden file beside the
    /// markers, `_dlt_loads/.<schema>__<load_id>.publishing` (listings and globs pass it over).
    func publishingPath(schemaName: String, loadId: String) -> String {
        datasetFolder + "/_dlt_loads/." + schemaName + "__" + loadId + ".publishing"
    }

    /// Writes `file`'s rows into files of the configured format (see ``TableFiles``); appends them to `staged`.
    func writeTable(_ file: NormalizedPackage.TableFile, table: TableSchema, package: NormalizedPackage,
                    into staged: inout [(staging: String, path: String)], isCancelled: () -> Bool) throws
    {
        let reader = try PackageFileReader(path: file.path)
        var files = TableFiles(table: table)
        try files.write(rows: reader.readFrame, of: self, schemaName: package.schema.name, loadId: package.loadId,
                        staged: &staged, isCancelled: isCancelled)
        try files.finish()
    }

    func makeWriter(path: String, table: TableSchema) throws -> any RowFileWriter {
        let gzip = configuration.effectiveCompression == .gzip
        switch configuration.fileFormat {
        case .jsonl: return try JSONLinesFileWriter(path: path, table: table, gzip: gzip)
        case .csv: return try CSVFileWriter(path: path, table: table, gzip: gzip)
        case .parquet:
            var options = ParquetFileWriter.Options()
            options.rowGroupSize = configuration.rowGroupSize
            options.codec = configuration.effectiveCompression == .zstd ? .zstd : configuration.effectiveCompression == .snappy ? .snappy : .uncompressed
            return try ParquetFileWriter(path: path, table: table, options: options)
        }
    }

    /// Ten hex digits from the load id, the table and the file's place in the load: unique across loads,
    /// and the same when a package is loaded again after a crash (so its files are replaced, not doubled).
    static func fileId(loadId: String, table: String, sequence: Int) -> String {
        String(SHA256.hex(loadId + "\u{0}" + table + "\u{0}" + String(sequence)).prefix(10))
    }

    /// Writes `bytes` to a staging file for `path`; returns the staging path. Written with `open(2)` and
    /// `write(2)` into the staging file itself (Foundation's `createFile` wrote a
    /// `.dat.nosync*` file of its own first, which a kill left behind, and dropped the reason of a failure).
    func stage(_ bytes: [UInt8], as path: String) throws -> String {
        let staging = try storage.stagingPath(for: path)
        func failure() -> SluiceError {
            let reason = String(cString: strerror(errno))
            storage.discard(staging: staging)
            return SluiceError(.io, "cannot write \(staging): \(reason)")
        }
        let fd = open(staging, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure() }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw failure() }
            written += n
        }
        return staging
    }
}
