import Foundation
import PipelineCore

/// Moves a source's rows into a destination: extract -> normalize -> load, over durable load packages.
///
/// ```swift
/// let pipeline = Pipeline(name: "github", destination: SQLiteDestination(path: "github.sqlite"), dataset: "github")
/// let info = try await pipeline.run(source)
/// print(info)
/// ```
///
/// Every stage publishes its package by an atomic rename, and ``run(_:)`` first finishes any package an
/// earlier run left behind, so a run that died loses nothing and loads nothing twice.
public struct Pipeline: Sendable {
    /// Settings with defaults.
    public struct Configuration: Sendable {
        /// Where pipelines keep packages and schemas; default `.sluice` in the current directory.
        public var workingDirectory: String = ".sluice"
        /// How many loaded packages to keep for inspection; older ones are pruned.
        public var keepLoadedPackages: Int = 10
        /// The salt of the `hash` privacy hint (a secret: it never appears in logs, errors or state).
        public var hashSalt: String?
        /// Waits before retrying a load that failed with a transient destination error (a lost connection,
        /// a restarting server); one retry per delay. The package stays pending if the last try fails.
        public var loadRetryDelays: [Duration] = [.seconds(1), .seconds(5), .seconds(15)]
        /// Whether extract, normalize and load run at the same time (the default). `false` runs them one
        /// after another, each over the whole package: the same outcome, more wall time.
        public var overlapStages = true
        /// With ``overlapStages``: rows normalized between two hand-overs to the load stage.
        public var overlapBatchRows = 65_536
        /// Whether rows that only need flattening and typing go from their bytes in the extracted package
        /// (JSON text, or a CSV record's typed fields) straight into the normalized row (the default),
        /// rather than through a ``Value`` tree: the same rows, less CPU. `false` sends every row through
        /// the tree (a comparison for tests and benchmarks).
        public var directPath = true
        public init() {}
    }

    public let name: String
    public let destination: any Destination
    public let dataset: String
    public let configuration: Configuration

    public init(name: String, destination: any Destination, dataset: String? = nil,
                configuration: Configuration = Configuration())
    {
        self.name = name
        self.destination = destination
        self.dataset = dataset ?? name
        self.configuration = configuration
    }

    var directory: String { configuration.workingDirectory + "/" + name }
    var storage: PackageStorage { PackageStorage(pipelineDirectory: directory) }
    var schemaPath: String { directory + "/schemas/" + name + ".schema.json" }

    /// Finishes pending packages, then extracts, normalizes and loads `source`.
    ///
    /// Holds the pipeline's lock throughout: a second run of the same pipeline from the same working
    /// directory fails at once, naming the holder; runs from other working directories or machines wait
    /// for the destination's run lock (``Destination/withRunLock(pipeline:_:)``). The state the run starts
    /// from is the destination's; if another run commits first anyway, the package is dropped and the
    /// source extracted again from the new state, so no row loads twice.
    public func run(_ source: Source) async throws -> LoadInfo {
        // What the destination cannot do fails before any lock, package or file exists.
        try refuseUnsupported(source)
        let lock = try PipelineLock(directory: directory, pipeline: name)
        defer { withExtendedLifetime(lock) {} }
        return try await destination.withRunLock(pipeline: name) { try await runHoldingLocks(source) }
    }

    /// How many times a run extracts again when another run committed state before it.
    static let extractAttempts = 3

    private func runHoldingLocks(_ source: Source) async throws -> LoadInfo {
        try storage.prepare()
        storage.removeAbandonedTemporaries()
        let clock = ContinuousClock()
        let t0 = clock.now
        // Finish what an earlier run left, before new data is extracted (its cursor must be committed first).
        // A package of broken rows (stored unchecked, from a run killed before it reached them) is removed
        // and reported: it can never load, and the file may have been fixed since.
        var removedBroken: [SluiceError]? = []
        try await normalize(removedBroken: &removedBroken)
        do {
            return try await runAfterResuming(source, removedBroken: (removedBroken ?? []).map(\.description), since: t0)
        } catch var error as SluiceError where removedBroken?.isEmpty == false {
            // The run failed: its error says what happened before, or nothing would.
            error.message += (removedBroken ?? []).map { "; before this, a package left by an earlier run was removed, not loaded: \($0)" }.joined()
            throw error
        }
    }

    private func runAfterResuming(_ source: Source, removedBroken: [String], since t0: ContinuousClock.Instant) async throws -> LoadInfo {
        let clock = ContinuousClock()
        var dropped = try await dropStalePackages()
        var resumed = try await loadPackages()
        for k in resumed.indices { resumed[k].resumed = true }
        let tResumed = clock.now
        var run: OverlappedRun?
        do {
            for attempt in 1...Self.extractAttempts {
                do {
                    run = try await runOverlapped(source)
                    break
                } catch var error as SluiceError where error.code == .stateConflict {
                    // Another run committed since this one read the state: its package is gone; extract again.
                    dropped.append(error.loadId ?? "")
                    guard attempt < Self.extractAttempts else {
                        error.message += "; extracted again \(attempt - 1) time(s), each time another run committed first: run again"
                        throw error
                    }
                }
            }
        } catch var error as SluiceError where !resumed.isEmpty {
            // The run failed after completing what an earlier one left: its error says so, or nothing would.
            let rows = resumed.reduce(0) { $0 + $1.rowCounts.reduce(0) { $0 + $1.rows } }
            error.message += "; before this, \(resumed.count) load package(s) an earlier run left unfinished were completed "
                + "(\(resumed.map(\.loadId).joined(separator: ", ")): \(rows) row(s) loaded)"
            throw error
        }
        guard let run else { throw CancellationError() }  // unreachable: the last attempt returns or throws
        return LoadInfo(
            pipeline: name, destination: destination.name, location: destination.location, dataset: dataset,
            packages: resumed + run.loaded, extractSeconds: run.extract, normalizeSeconds: run.normalize,
            loadSeconds: run.load + seconds(tResumed - t0),
            stateOrigin: LoadInfo.StateOrigin(run.start, source: source, droppedPackages: dropped),
            removedBrokenPackages: removedBroken)
    }

    // MARK: - extract

    /// Runs every resource of `source` into a new extracted package; returns its load id.
    ///
    /// If a resource throws, the partial package is deleted: nothing of it is ever loaded.
    @discardableResult
    public func extract(_ source: Source) async throws -> String {
        try await extractPackage(source).loadId
    }

    /// Fails, before anything is read or written, when `source` asks for what the destination cannot do
    /// (`merge` into files) or its tables' names collide; the error names the table and, for merge, the
    /// destinations that merge (``DestinationLimits/refusesMerge``).
    func refuseUnsupported(_ source: Source) throws {
        try Normalizer.checkTableNames(source.resources.map(\.tableName))
        if let reason = destination.limits.refusesMerge, let merging = source.resources.first(where: { $0.hints.writeDisposition == .merge }) {
            throw SluiceError(.configuration, "write disposition merge is not supported by the \(destination.name) destination: \(reason)",
                              table: merging.tableName)
        }
    }

    /// ``extract(_:)``, also returning the state it started from.
    ///
    /// With `overlap`, the normalize stage of the same run reads each resource's file as it is written.
    func extractPackage(_ source: Source, overlap: OverlapProgress? = nil) async throws -> (loadId: String, start: StateResolution) {
        do {
            let extracted = try await extractPackage(source, notifying: overlap)
            return extracted
        } catch {
            overlap?.abort()
            throw error
        }
    }

    private func extractPackage(_ source: Source, notifying overlap: OverlapProgress?) async throws -> (loadId: String, start: StateResolution) {
        try refuseUnsupported(source)
        try storage.prepare()
        let previous = (storage.packages(in: .extracted) + storage.packages(in: .normalized)
            + storage.packages(in: .loaded)).max()
        let loadId = LoadIds.make(after: previous)
        let start = try await resolveState(for: source)
        let state = start.effective
        let schema = try await currentSchema()
        var next = state
        if !source.claims.isEmpty {
            var kept = state.resources[Source.stateKey] ?? ResourceState()
            for (key, value) in source.claims.sorted(by: { $0.key < $1.key }) {
                if let held = kept.values[key], held >= value {
                    throw SluiceError(.alreadyClaimed, "\(key) is already at \(held) in the state of pipeline \(name) "
                        + "(this run claims \(value)): another run did it", stage: "extract")
                }
                kept.values[key] = value
            }
            next.resources[Source.stateKey] = kept
        }
        let dir = try storage.beginTemporary(.extracted, loadId)
        var entries: [ExtractedManifest.Entry] = []
        var unchecked: [String] = []  // the package files holding rows stored unchecked, in order
        do {
            overlap?.begin(loadId: loadId, schema: schema, entries: source.resources.enumerated().map { k, resource in
                ExtractedManifest.Entry(resource: resource.name, table: resource.tableName, hints: resource.hints, file: "\(k).items", rows: 0)
            })
            for (k, resource) in source.resources.enumerated() {
                let file = "\(k).items"
                let checks = ExtractChecks(destination: destination.name, limits: destination.limits,
                                           table: resource.tableName, hints: resource.hints, schema: schema)
                let output = try PackageFileWriter(path: dir + "/" + file)
                if let overlap {
                    // Opened now, before the package's folder is renamed: the reader follows the file, not the path.
                    try overlap.started(k, reader: PackageFileReader(path: dir + "/" + file))
                    output.onFlush = { bytes throws(SluiceError) in try overlap.flushed(k, bytes: bytes) }
                }
                let writer = try ExtractWriter(output, hints: resource.hints,
                                               prior: state.resources[resource.name], salt: configuration.hashSalt,
                                               checks: checks)
                do {
                    try await resource.produce(writer)
                    if let changed = try writer.finalState() { next.resources[resource.name] = changed }
                } catch var error as SluiceError {
                    error.stage = error.stage ?? "extract"
                    // Rows stored unchecked before this error came first: a broken one is the error to report
                    // (unless normalize found it already, and stopped this stage).
                    output.onFlush = nil
                    _ = try? output.flushForReaders()
                    if writer.storedUnchecked { unchecked.append(dir + "/" + file) }
                    if !OverlapProgress.isReaderFailed(error), var broken = Self.firstBrokenUncheckedRow(in: unchecked) {
                        broken.stage = "extract"
                        throw broken
                    }
                    throw error
                }
                try writer.file.sync()
                if writer.storedUnchecked { unchecked.append(dir + "/" + file) }
                overlap?.finished(k, bytes: writer.file.bytesWritten)
                let links = try writer.links.values.sorted { $0.name < $1.name }.map { name, path in
                    guard let linked = ExtractedManifest.LinkedFile(name: name, path: path, in: dir) else {
                        throw SluiceError(.io, "cannot read \(dir)/\(name), the package's link to \(path)")
                    }
                    return linked
                }
                entries.append(.init(resource: resource.name, table: resource.tableName, hints: resource.hints,
                                     file: file, rows: writer.rows, skipped: writer.skipped, links: links.isEmpty ? nil : links))
            }
            let manifest = ExtractedManifest(loadId: loadId, source: source.name, entries: entries,
                                             state: start.next(with: next.resources))
            try ManifestIO.write(manifest, to: dir + "/manifest.json")
            try storage.publish(.extracted, loadId)
            overlap?.extracted(manifest)
        } catch {
            try? FileManager.default.removeItem(atPath: dir)
            throw error
        }
        return (loadId, start)
    }

    /// The first row stored unchecked in the package files at `paths` (read in order) that is not valid
    /// JSON, as the error at its source file and line; `nil` when there is none. When the extract stage
    /// fails, the rows it stored unchecked before the failure were read first: a broken one among them is
    /// the first error in the input, as it would have been had each row been checked as it was read.
    static func firstBrokenUncheckedRow(in paths: [String]) -> SluiceError? {
        for path in paths {
            guard let reader = try? PackageFileReader(path: path) else { continue }
            while (try? reader.advance()) == true {
                guard reader.lastRowWasJSON, let (file, line) = reader.currentSource else { continue }
                do {
                    try reader.withCurrentJSON { try JSONText.validate($0) }
                } catch let error as JSONText.ParseError {
                    return SluiceError(.badInput, error.message(), file: file, line: line)
                } catch {
                    return nil
                }
            }
        }
        return nil
    }

    // MARK: - normalize

    /// The schema as this pipeline last saved it, else as the destination stored it, else empty.
    public func currentSchema() async throws -> Schema {
        if FileManager.default.fileExists(atPath: schemaPath) {
            return try ManifestIO.read(Schema.self, from: schemaPath)
        }
        if let stored = try await destination.storedSchema(named: name) {
            return stored
        }
        return Schema(name: name)
    }

    /// Normalizes every extracted package, oldest first.
    @discardableResult
    public func normalize() async throws -> [String] {
        var throwing: [SluiceError]? = nil
        return try await normalize(removedBroken: &throwing)
    }

    /// ``normalize()`` for a run's own packages, once those of earlier runs are finished: the files they
    /// link were read by this run, so a change since (a file still being written to) is no reason to
    /// drop them (their lines are read as extracted, or are an error if no longer there).
    func normalizeOwn() async throws {
        var throwing: [SluiceError]? = nil
        _ = try await normalize(removedBroken: &throwing, own: true)
    }

    /// ``normalize()``; with `removedBroken` not `nil`, a package removed because rows its source file gave
    /// were broken JSON (a file's rows are checked as they are normalized), or because a file it holds by a
    /// link changed since an earlier run extracted it (not when `own`: see ``normalizeOwn()``), adds its
    /// error, naming the file, there instead of failing the call.
    func normalize(removedBroken: inout [SluiceError]?, own: Bool = false) async throws -> [String] {
        var done: [String] = []
        for loadId in storage.packages(in: .extracted) {
            let source = storage.path(.extracted, loadId)
            let manifest = try ManifestIO.read(ExtractedManifest.self, from: source + "/manifest.json")
            if !own, let error = Self.linkedFileChanged(manifest, in: source, own: false) {
                // Its rows would be read from the file as it is now, not as extracted: nothing of it can load.
                storage.remove(.extracted, loadId)
                guard removedBroken != nil else { throw error }
                removedBroken!.append(error)
                continue
            }
            let before = try await currentSchema()
            var dir = try storage.beginTemporary(.normalized, loadId)
            do {
                var normalizer = try normalizePass(manifest, from: source, schema: before, into: dir)
                if let plan = try normalizer.supersededOrdinals() {
                    // A primary key occurs twice in a merge batch: again, keeping only each key's last row.
                    normalizer = Normalizer(schema: before, loadId: loadId, directory: dir)  // closes the first pass's files
                    dir = try storage.beginTemporary(.normalized, loadId)
                    normalizer = try normalizePass(manifest, from: source, schema: before, into: dir, superseded: plan)
                }
                if own, let error = Self.linkedFileChanged(manifest, in: source, own: true) {
                    throw BrokenSourcePackage(error: removeBroken(loadId, error))
                }
                try publishNormalized(normalizer, of: manifest, before: before, from: dir)
            } catch let broken as BrokenSourcePackage {
                try? FileManager.default.removeItem(atPath: dir)
                guard removedBroken != nil else { throw broken.error }
                removedBroken!.append(broken.error)
                continue
            } catch {
                try? FileManager.default.removeItem(atPath: dir)
                throw error
            }
            done.append(loadId)
        }
        return done
    }

    /// Writes the normalized package's manifest and publishes it in place of the extracted one.
    @discardableResult
    func publishNormalized(_ normalizer: Normalizer, of manifest: ExtractedManifest, before: Schema,
                           from dir: String) throws -> NormalizedManifest
    {
        let loadId = manifest.loadId
        let files = try normalizer.finish()
        var schema = normalizer.schema
        let changes = schema.additions(since: before)
        if !changes.isEmpty || schema != before { schema.version = before.version + 1 }
        let normalized = NormalizedManifest(
            loadId: loadId, dataset: dataset, schema: schema, files: files,
            replacedRoots: normalizer.replacedRoots, changes: changes.map(\.description) + normalizer.renamedKeys,
            state: manifest.state, skipped: manifest.entries.reduce(0) { $0 + ($1.skipped ?? 0) },
            discardedRows: normalizer.discardedRows, discardedValues: normalizer.discardedValues)
        try ManifestIO.write(normalized, to: dir + "/manifest.json")
        try storage.publish(.normalized, loadId)
        storage.remove(.extracted, loadId)
        try saveSchema(schema)
        return normalized
    }

    /// Normalizes every row of an extracted package into `dir`; bad input (a table wider than the destination
    /// allows among it) sets the package aside.
    private func normalizePass(_ manifest: ExtractedManifest, from source: String, schema: Schema, into dir: String,
                               superseded: SupersededOrdinals? = nil) throws -> Normalizer
    {
        let normalizer = Normalizer(schema: schema, loadId: manifest.loadId, directory: dir, superseded: superseded)
        try normalizeEntries(manifest.entries, loadId: manifest.loadId, into: normalizer, setAside: true) { _, entry in
            try PackageFileReader(path: source + "/" + entry.file)
        }
        return normalizer
    }

    /// Normalizes the rows of each entry, read through `open`, calling `every` after each `batch` rows.
    /// Bad input sets the extracted package aside when `setAside` (it is published by then).
    func normalizeEntries(_ entries: [ExtractedManifest.Entry], loadId: String, into normalizer: Normalizer, setAside: Bool,
                          batch: Int = 0, every: () throws -> Void = {},
                          open: (Int, ExtractedManifest.Entry) throws -> PackageFileReader) throws
    {
        var sinceBatch = 0
        for (k, entry) in entries.enumerated() {
            let table = try normalizer.register(table: entry.table, hints: entry.hints)
            let reader = try open(k, entry)
            normalizer.directBeginFile()
            var rowNumber = 0
            // Floats are read exactly once the table has a decimal column (also one made by a row of this file).
            var exactFloats = normalizer.hasDecimalColumns(table)
            var checkedColumns = -1
            var direct = configuration.directPath && normalizer.takesDirectPath(table, exactFloats: exactFloats)
            let t = normalizer.tableIndex[table]!
            var brokenSourceRow = false
            func advance() throws -> Bool {
                do {
                    return try reader.advance()
                } catch var error {
                    error.stage = error.stage ?? "normalize"
                    error.loadId = error.loadId ?? loadId
                    // Lines a linked file no longer holds as they were read: nothing of the package can load, and
                    // no retry of it could (as for a broken row of a file); other errors leave it to retry.
                    if error.code == .badInput { throw BrokenSourcePackage(error: setAside ? removeBroken(loadId, error) : error) }
                    throw error
                }
            }
            while try advance() {
                rowNumber += 1
                if rowNumber & 4095 == 0 { try Task.checkCancellation() }
                do {
                    let done = !direct ? false : reader.lastRowWasJSON
                        ? try reader.withCurrentJSON { try normalizer.normalizeDirect($0, table: t) }
                        : try normalizer.normalizeDirect(flatRowOf: reader, table: t)
                    if !done {
                        // Decoding a row stored unchecked is its JSON check: if it throws, the source file is broken.
                        brokenSourceRow = reader.currentSource != nil
                        let row = try reader.currentRow(exactFloats: exactFloats)
                        brokenSourceRow = false
                        try normalizer.normalize(row, table: table, exactFloats: exactFloats && reader.lastRowWasJSON)
                    }
                    if normalizer.addedColumns != checkedColumns {
                        checkedColumns = normalizer.addedColumns
                        try checkLimits(normalizer.schema)
                        if !exactFloats, normalizer.hasDecimalColumns(table) {
                            exactFloats = true
                            direct = false
                        }
                    }
                } catch var error as SluiceError {
                    error.stage = "normalize"
                    // A row stored unchecked names its source file and line; others, their row.
                    if let (file, line) = reader.currentSource { error = error.placed(file: file, line: line) }
                    if error.file == nil { error.row = error.row ?? rowNumber }
                    error.loadId = loadId
                    if brokenSourceRow {
                        // Broken JSON in a source file (stored unchecked, checked here): as when extract refuses a
                        // file, nothing of the package loads, and there is nothing to retry but the fixed file.
                        throw BrokenSourcePackage(error: setAside ? removeBroken(loadId, error) : error)
                    } else if setAside, error.code == .badInput || error.code == .schema {
                        // Retrying cannot help: set the package aside, visibly, so later runs proceed.
                        storage.setAside(loadId, from: .extracted, error: error)
                        error.message += "; the package was set aside in \(storage.path(.failed, loadId))"
                    }
                    throw error
                }
                sinceBatch += 1
                if sinceBatch == batch {
                    sinceBatch = 0
                    try every()
                }
            }
        }
    }

    /// Removes the extracted package `loadId`, whose rows from a source file were broken JSON (`error`),
    /// and returns the error saying so.
    func removeBroken(_ loadId: String, _ error: SluiceError) -> SluiceError {
        storage.remove(.extracted, loadId)
        var error = error
        error.message += Self.removedBrokenPackage
        return error
    }

    /// The error for `manifest`'s package (read from `folder`) when a file it links changed since its extract
    /// stage ended; `nil` when none did. An earlier run's package (`own` false): any change, its rows would be
    /// read from the file as it is now (the package is removed, and a run extracts the file again). A run's
    /// own package, once normalize has read it: a file rewritten in place or cut shorter meanwhile, its rows
    /// could be part old, part new; a file that only grew (a log appended to) is not, the lines read are whole.
    static func linkedFileChanged(_ manifest: ExtractedManifest, in folder: String, own: Bool) -> SluiceError? {
        guard let changed = manifest.changedLinkedFile(in: folder, appendsCount: !own) else { return nil }
        var error = SluiceError(.badInput, own
            ? "the file changed while it was being loaded (rewritten in place or cut shorter after it was read): its rows "
                + "could be part old, part new"
            : "the file changed after it was extracted and before it was loaded (the package holds it by a hard link): "
                + "nothing of the package was loaded, and it was removed; a run extracts the file again", file: changed.path)
        error.stage = "normalize"
        error.loadId = manifest.loadId
        return error
    }

    /// What the error of a package removed for a broken row of its file adds.
    static let removedBrokenPackage = "; nothing of the package was loaded, and it was removed: fix the file and run again"

    /// Fails, naming the table (and the first column past the limit), when a table is wider or its name
    /// longer than the destination allows. Checked whenever columns were added (a new table adds some).
    private func checkLimits(_ schema: Schema) throws {
        let limits = destination.limits
        if let limit = limits.maxColumns {
            for table in schema.tables where table.columns.count > limit {
                throw SluiceError(.badInput, """
                    the table would have \(table.columns.count) columns, more than \(destination.name) allows (\(limit))
                    """, column: table.columns[limit].name, table: table.name)
            }
        }
        if let limit = limits.maxTableNameBytes, let table = schema.tables.first(where: { $0.name.utf8.count > limit }) {
            throw SluiceError(.badInput, "the table name is \(table.name.utf8.count) bytes, longer than \(destination.name) allows (\(limit)); "
                + "a child table's name joins its parent's with the keys down to its list (long keys, or lists nested deep): "
                + "keep the outer list whole as a json column (a column type hint) or load it into sqlite or postgres",
                table: String(table.name.prefix(60)) + "...")
        }
    }

    func saveSchema(_ schema: Schema) throws {
        try FileManager.default.createDirectory(atPath: directory + "/schemas", withIntermediateDirectories: true)
        let tmp = schemaPath + ".tmp"
        try ManifestIO.write(schema, to: tmp)
        guard rename(tmp, schemaPath) == 0 else { throw SluiceError(.io, "cannot save schema to \(schemaPath)") }
    }
}

/// A package with a row its source file gave as broken JSON (stored unchecked, found as it was normalized):
/// nothing of it can load. The whole-package path has removed it when this is thrown; the overlapped run
/// removes it (see ``Pipeline/normalize(removedBroken:)`` and ``Pipeline/removeBroken(_:_:)``).
struct BrokenSourcePackage: Error {
    var error: SluiceError
}
