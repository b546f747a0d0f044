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
            // Only data files this load could have written are removed, whatever the record says (it is a file
            // anyone may edit): never the schema's version file, which earlier loads share, nor anything else.
            guard let paths = try? JSONDecoder().decode([String].self, from: Data(bytes)) else {
                throw SluiceError(.destination, "not a JSON list of paths (remove it if no attempt at load \(package.loadId) "
                    + "was killed while publishing)", file: storage.location + "/" + record)
            }
            let ours = possibleDataFiles(of: package, count: paths.count)
            if let stray = paths.first(where: { !ours.contains($0) }) {
                throw SluiceError(.destination, "lists \(stray), which is not a file of load \(package.loadId) under the current layout "
                    + "(remove the files of that load by hand, then this record)", file: storage.location + "/" + record)
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
        // The data files about to be published, for a later attempt should this one be killed half way.
        let paths = staged.map(\.path).filter { !$0.hasPrefix(datasetFolder + "/_dlt_") }
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

    /// Every path a data file of `package` may have had in an attempt that published `count` of them: the
    /// current layout, each table of the package, each file format's extension, and the file ids of the
    /// first `count` files (an attempt numbers its files from 0).
    func possibleDataFiles(of package: NormalizedPackage, count: Int) -> Set<String> {
        let extensions = ["jsonl", "jsonl.gz", "csv", "csv.gz", "parquet"]
        var paths: Set<String> = []
        for table in package.schema.dataTables {
            for sequence in 0..<count {
                let fileId = Self.fileId(loadId: package.loadId, table: table.name, sequence: sequence)
                for ext in extensions {
                    paths.insert(datasetFolder + "/" + layout.path(table: table.name, schemaName: package.schema.name,
                                                                   loadId: package.loadId, fileId: fileId, ext: ext))
                }
            }
        }
        return paths
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

    /// Writes `bytes` to a staging file for `path`; returns the staging path. The error of a failed write
    /// says why (``LocalFile``), and the staging file goes.
    func stage(_ bytes: [UInt8], as path: String) throws -> String {
        let staging = try storage.stagingPath(for: path)
        do {
            try LocalFile.write(bytes, to: staging)
        } catch {
            storage.discard(staging: staging)
            throw error
        }
        return staging
    }
}
