import Foundation
import PipelineCore

/// The on-disk home of a pipeline's load packages: `<working dir>/<pipeline>/packages/<stage>/<load_id>/`.
///
/// A package is built in a `*-tmp` folder and published to its stage by one atomic `rename(2)`, so a
/// package folder in a stage is always complete; its stage *is* its state.
struct PackageStorage: Sendable {
    enum Stage: String, CaseIterable {
        case extracted, normalized, loaded
        /// Packages whose data cannot be normalized or loaded (bad input): kept with their error for
        /// inspection, never retried unless asked (`sluice packages --retry`).
        case failed
    }

    let root: String

    init(pipelineDirectory: String) {
        root = pipelineDirectory + "/packages"
    }

    func directory(_ stage: Stage) -> String { root + "/" + stage.rawValue }
    func path(_ stage: Stage, _ loadId: String) -> String { directory(stage) + "/" + loadId }
    func temporaryPath(_ stage: Stage, _ loadId: String) -> String { root + "/" + stage.rawValue + "-tmp/" + loadId }

    var trash: String { root + "/trash" }

    /// Removes the temporary folders of packages a killed run was writing (`extracted-tmp/`,
    /// `normalized-tmp/`): never published, so nothing refers to them. Only under the pipeline's lock,
    /// when no other run of this working directory can be writing one.
    func removeAbandonedTemporaries() {
        for stage in Stage.allCases {
            let folder = root + "/" + stage.rawValue + "-tmp"
            for item in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                try? FileManager.default.removeItem(atPath: folder + "/" + item)
            }
        }
    }

    func prepare() throws {
        for stage in Stage.allCases {
            try FileManager.default.createDirectory(atPath: directory(stage), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/" + stage.rawValue + "-tmp",
                                                    withIntermediateDirectories: true)
        }
        try FileManager.default.createDirectory(atPath: trash, withIntermediateDirectories: true)
        // Whatever a killed run was deleting.
        for item in (try? FileManager.default.contentsOfDirectory(atPath: trash)) ?? [] {
            try? FileManager.default.removeItem(atPath: trash + "/" + item)
        }
        // A run killed between publishing a package's next stage and removing the previous one
        // leaves the old copy behind: the newer stage wins.
        let later = Set(packages(in: .normalized) + packages(in: .loaded))
        for id in packages(in: .extracted) where later.contains(id) { remove(.extracted, id) }
    }

    /// Load ids in a stage, oldest first.
    func packages(in stage: Stage) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory(stage))) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Creates an empty temporary package folder (removing a leftover of a killed run).
    func beginTemporary(_ stage: Stage, _ loadId: String) throws -> String {
        let path = temporaryPath(stage, loadId)
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Publishes a temporary package into its stage atomically.
    func publish(_ stage: Stage, _ loadId: String) throws {
        try move(temporaryPath(stage, loadId), path(stage, loadId))
    }

    /// Moves a package from one stage to the next atomically.
    func advance(_ loadId: String, from: Stage, to: Stage) throws {
        try move(path(from, loadId), path(to, loadId))
    }

    /// Removes a package: one atomic rename out of its stage, then the deletion, so a kill mid-way never
    /// leaves a half-deleted package where a run would find it.
    func remove(_ stage: Stage, _ loadId: String) {
        let doomed = trash + "/" + stage.rawValue + "-" + loadId
        try? FileManager.default.removeItem(atPath: doomed)
        guard rename(path(stage, loadId), doomed) == 0 else { return }
        try? FileManager.default.removeItem(atPath: doomed)
    }

    /// Moves a package that cannot be processed to `failed/`, with its error (`error.txt`) and the stage
    /// it came from (`failed_from`), so that later runs proceed and it can be retried.
    func setAside(_ loadId: String, from stage: Stage, error: SluiceError) {
        guard (try? advance(loadId, from: stage, to: .failed)) != nil else { return }
        let dir = path(.failed, loadId)
        try? "\(error)\n".write(toFile: dir + "/error.txt", atomically: true, encoding: .utf8)
        try? stage.rawValue.write(toFile: dir + "/failed_from", atomically: true, encoding: .utf8)
    }

    /// The stage a failed package came from (recorded, else told by its manifest).
    func failedFrom(_ loadId: String) -> Stage {
        let dir = path(.failed, loadId)
        if let text = try? String(contentsOfFile: dir + "/failed_from", encoding: .utf8),
            let stage = Stage(rawValue: text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            return stage
        }
        return (try? ManifestIO.read(NormalizedManifest.self, from: dir + "/manifest.json")) != nil ? .normalized : .extracted
    }

    private func move(_ from: String, _ to: String) throws {
        guard rename(from, to) == 0 else {
            throw SluiceError(.io, "cannot move package \(from) to \(to): \(String(cString: strerror(errno)))")
        }
    }

    /// Keeps only the newest `keep` loaded packages.
    func pruneLoaded(keep: Int) {
        let loaded = packages(in: .loaded)
        for id in loaded.dropLast(keep) { remove(.loaded, id) }
    }
}

/// What an extracted package holds: one item file per resource.
struct ExtractedManifest: Codable {
    struct Entry: Codable {
        var resource: String
        var table: String
        var hints: ResourceHints
        var file: String
        var rows: Int
        /// Rows the incremental cursor dropped.
        var skipped: Int?
        /// Source files the entry's rows are read from through hard links in the package's folder.
        var links: [LinkedFile]?
    }
    /// A source file held by a hard link in the package (``PackageFile/Tag/linkedJSONLines`` rows are read
    /// from it), as it was when the extract stage ended: a run that finishes the package of an earlier one
    /// loads it only if the file is still so (a file rewritten in place since would give other rows).
    struct LinkedFile: Codable, Equatable {
        /// The link's name in the package's folder, and the path it was made from.
        var name: String
        var path: String
        /// Bytes, and the modification time in nanoseconds since 1970.
        var size: Int
        var modified: Int

        /// The link `name` in `folder` as it is now; `nil` when it cannot be read.
        init?(name: String, path: String, in folder: String) {
            var info = stat()
            guard stat(folder + "/" + name, &info) == 0 else { return nil }
            self.name = name
            self.path = path
            size = Int(info.st_size)
            modified = Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
        }
    }
    var loadId: String
    var source: String
    var entries: [Entry]

    /// The first file the entries link that changed since the extract stage ended, as its link in `folder`
    /// shows it now (another size or modification time, or the link gone); with `appendsCount` false, a
    /// file that only grew (a log appended to) does not count.
    func changedLinkedFile(in folder: String, appendsCount: Bool) -> LinkedFile? {
        entries.lazy.flatMap { $0.links ?? [] }.first { recorded in
            guard let now = LinkedFile(name: recorded.name, path: recorded.path, in: folder) else { return true }
            return now != recorded && (appendsCount || now.size <= recorded.size)
        }
    }
    /// The pipeline state this package commits when it loads, if the run changed it.
    var state: PipelineState?
}

/// What a normalized package holds: the schema it was normalized against and one row file per table.
struct NormalizedManifest: Codable {
    /// The package for a destination, its files in `dir`.
    func package(in dir: String) -> NormalizedPackage {
        NormalizedPackage(loadId: loadId, dataset: dataset, schema: schema,
                          files: files.map { .init(table: $0.table, path: dir + "/" + $0.file, rowCount: $0.rows) },
                          replacedRoots: replacedRoots, state: state)
    }

    struct File: Codable {
        var table: String
        var file: String
        var rows: Int
    }
    var loadId: String
    var dataset: String
    var schema: Schema
    var files: [File]
    var replacedRoots: [String]
    var changes: [String]
    var state: PipelineState?
    var skipped: Int?
    var discardedRows: Int?
    var discardedValues: Int?
}

enum ManifestIO {
    static func write<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Durable before the package is published by rename; a failure says why (a full disk).
        try LocalFile.write(Array(try encoder.encode(value)), to: path, sync: true)
    }

    static func read<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SluiceError(.package, "cannot read \(path)")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw SluiceError(.package, "\(path) is corrupt: \(error)")
        }
    }
}
