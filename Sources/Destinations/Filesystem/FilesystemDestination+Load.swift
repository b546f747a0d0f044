import Foundation
import PipelineCore

extension FilesystemDestination {
    /// Loads a package under the dataset's commit lock: writes every table's files under staging names,
    /// checks the stored state, publishes the files, the schema and the state, removes what `replace`
    /// supersedes, and writes the load's marker last. Loading a package twice writes the same file names
    /// (file ids derive from the load id), and a package whose marker exists is not loaded again. Staged
    /// files that killed loads left in the dataset go first (``FileStorage/removeAbandonedStaging(under:lockedSince:)``).
    public func load(_ package: NormalizedPackage) async throws {
        if let reason = limits.refusesMerge,
           let merging = package.schema.dataTables.first(where: { t in t.writeDisposition == .merge && package.files.contains { $0.table == t.name } })
        {
            throw SluiceError(.badInput, "write disposition merge is not supported by the filesystem destination: \(reason)", table: merging.name)
        }
        try await storage.withLock("commit", in: datasetFolder, timeout: configuration.lockTimeout) {
            // Staged files a killed load left (kill -9 skips every cleanup) would stay in the bucket forever.
            _ = try? storage.removeAbandonedStaging(under: datasetFolder, lockedSince: Date())
            try loadHoldingLock(package)
        }
    }

    private func loadHoldingLock(_ package: NormalizedPackage) throws {
        let schema = package.schema
        if try storage.read(markerPath(schemaName: schema.name, loadId: package.loadId)) != nil { return }
        try checkState(package)
        var staged: [(staging: String, path: String)] = []
        var published = false
        defer { if !published { for s in staged { storage.discard(staging: s.staging) } } }
        for file in package.files where file.rowCount > 0 {
            guard let table = schema.table(named: file.table) else {
                throw SluiceError(.package, "the package's schema has no table \(file.table)", loadId: package.loadId)
            }
            try writeTable(file, table: table, package: package, into: &staged)
        }
        let system = try systemFiles(package)
        for (path, bytes) in system.dropLast() { staged.append((try stage(bytes, as: path), path)) }
        // The last point at which nothing is visible: a cancelled load leaves the dataset as it was.
        if Task.isCancelled { throw CancellationError() }
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
    }

    /// Writes `file`'s rows into files of the configured format, a new file whenever one reaches
    /// ``Configuration/fileMaxItems`` rows or ``Configuration/fileMaxBytes`` bytes; appends them to `staged`.
    func writeTable(_ file: NormalizedPackage.TableFile, table: TableSchema, package: NormalizedPackage,
                    into staged: inout [(staging: String, path: String)]) throws
    {
        let reader = try PackageFileReader(path: file.path)
        var frame: [UInt8] = []
        frame.reserveCapacity(1 << 12)
        var writer: (any RowFileWriter)?
        var rows = 0
        var total = 0
        let maxItems = configuration.fileMaxItems ?? .max
        let maxBytes = configuration.fileMaxBytes ?? .max
        while try reader.readFrame(appendingTo: &frame) != nil {
            if writer == nil {
                let path = datasetFolder + "/" + layout.path(
                    table: table.name, schemaName: package.schema.name, loadId: package.loadId,
                    fileId: Self.fileId(loadId: package.loadId, table: table.name, sequence: staged.count),
                    ext: configuration.fileExtension)
                let staging = try storage.stagingPath(for: path)
                staged.append((staging, path))
                writer = try makeWriter(path: staging, table: table)
                rows = 0
            }
            try frame.withUnsafeBufferPointer { try writer!.write($0) }
            frame.removeAll(keepingCapacity: true)
            rows += 1
            total += 1
            if total & 4095 == 0, Task.isCancelled { throw CancellationError() }
            if rows >= maxItems || (maxBytes < .max && writer!.approximateSize >= maxBytes) {
                try writer!.finish()
                writer = nil
            }
        }
        try writer?.finish()
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

    /// Writes `bytes` to a staging file for `path`; returns the staging path.
    func stage(_ bytes: [UInt8], as path: String) throws -> String {
        let staging = try storage.stagingPath(for: path)
        guard FileManager.default.createFile(atPath: staging, contents: Data(bytes)) else {
            throw SluiceError(.io, "cannot write \(staging)")
        }
        return staging
    }
}
