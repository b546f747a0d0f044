import PipelineCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The engine's ``RowWriter``: appends rows to the extracted package file as they come, applying the
/// resource's incremental cursor and keeping the values it asks to remember.
final class ExtractWriter: JSONRowWriter, EncodedRowWriter {
    let file: PackageFileWriter
    private(set) var rows = 0
    /// Rows outside the incremental window (or loaded before), dropped.
    private(set) var skipped = 0
    private var tracker: CursorTracker?
    private let priorState: ResourceState?
    private var values: [String: String]
    /// Privacy hints by column path, applied before a row is written anywhere.
    private let privacy: [(path: [String], rule: Privacy)]
    private let salt: String
    /// What the destination could not hold, checked while the reader still knows the file and line.
    private var checks: ExtractChecks?
    /// The file the unchecked JSON rows written last came from (named once in the package file per change).
    private var sourceFile: String?
    /// The link the linked rows written last are read through (named in the package file per change).
    private var currentLink: String?
    /// Whether some rows were stored unchecked (``writeNow(jsonObject:file:line:)``).
    var storedUnchecked: Bool { sourceFile != nil }
    /// The hard links to source files in the package's folder: the link's name (numbered in the order they
    /// were made) and the path it was made from, by the file's device and inode (a file that could not be
    /// linked is in `unlinkable`, its lines copied). By file, not path: a path read again after another file
    /// was moved there is another file.
    private(set) var links: [FileKey: (name: String, path: String)] = [:]
    private var unlinkable: Set<FileKey> = []
    struct FileKey: Hashable {
        var device: UInt64, inode: UInt64
    }

    init(_ file: PackageFileWriter, hints: ResourceHints, prior: ResourceState?, salt: String?,
         checks: ExtractChecks? = nil) throws
    {
        self.file = file
        self.checks = checks?.isActive == true ? checks : nil
        priorState = prior
        values = prior?.values ?? [:]
        tracker = hints.incremental.map { CursorTracker($0, prior: prior?.cursor, primaryKey: hints.primaryKey) }
        privacy = hints.columns.compactMap { name, hint in
            hint.privacy.map { (name.split(separator: ".").map(String.init), $0) }
        }.sorted { $0.path.joined() < $1.path.joined() }
        if let hashed = privacy.first(where: { $0.rule == .hash }), salt?.isEmpty ?? true {
            throw SluiceError(.configuration, """
                the hash privacy hint on \(hashed.path.joined(separator: ".")) needs a salt: set [privacy] salt in \
                secrets.toml or the PRIVACY__SALT environment variable
                """, stage: "extract", column: hashed.path.joined(separator: "."))
        }
        self.salt = salt ?? ""
    }

    /// Normalized names of the keys seen, so matching a hinted column costs a lookup, not a normalization, per row.
    private var names: [String: String] = [:]

    private func normalized(_ key: String) -> String {
        if let n = names[key] { return n }
        let n = Naming.normalizePath(key)
        names[key] = n
        return n
    }

    /// `row` with excluded columns removed and hashed columns replaced.
    private func protect(_ row: Row) -> Row {
        var row = row
        for (path, rule) in privacy { row = apply(rule, at: path[...], in: row) }
        return row
    }

    private func apply(_ rule: Privacy, at path: ArraySlice<String>, in row: Row) -> Row {
        guard let step = path.first else { return row }
        let target = normalized(step)
        var row = row
        for k in row.fields.indices.reversed() where row.fields[k].name == step || normalized(row.fields[k].name) == target {
            if path.count > 1 {
                if case .object(let nested) = row.fields[k].value {
                    row.fields[k].value = .object(apply(rule, at: path.dropFirst(), in: nested))
                }
                continue
            }
            switch rule {
            case .exclude: row.fields.remove(at: k)
            case .hash:
                let value = row.fields[k].value
                guard !value.isNull else { continue }
                let text: String
                if case .text(let s) = value { text = s } else { text = JSONText.encode(value) }
                row.fields[k].value = .text(SHA256.hex(salt + text))
            }
        }
        return row
    }

    var window: IncrementalWindow? { tracker?.window }
    func state(_ key: String) -> String? { values[key] }
    func setState(_ key: String, _ value: String) { values[key] = value }

    func write(_ row: Row) async throws {
        try await admit(row)
    }

    @discardableResult func admit(_ row: Row) async throws -> Bool {
        guard try accepts(row) else { return false }
        try file.writeRow(privacy.isEmpty ? row : protect(row))
        rows += 1
        return true
    }

    /// Whether `row` is in the incremental window and passes the destination's checks (counting a row
    /// outside the window as skipped).
    private func accepts(_ row: Row) throws -> Bool {
        if (rows + skipped) & 1023 == 1023 { try Task.checkCancellation() }
        if let cursor = tracker?.incremental.cursor {
            guard try inWindow(CursorTracker.lookup(cursor, in: row), of: .row(row)) else { return false }
        }
        if checks != nil {
            do {
                try checks!.check(row)
            } catch var error as SluiceError {
                error.row = rows + skipped + 1
                throw error
            }
        }
        return true
    }

    /// Whether the tracker admits a row with cursor value `cursor` (counting a row outside the window as skipped).
    private func inWindow(_ cursor: Value?, of row: CursorTracker.HeldRow) throws -> Bool {
        do {
            guard try tracker!.admit(cursor: cursor, of: row) else {
                skipped += 1
                return false
            }
            return true
        } catch var error as SluiceError {
            error.row = rows + skipped + 1
            throw error
        }
    }

    func write(jsonObject bytes: ArraySlice<UInt8>) async throws {
        if try bytes.withUnsafeBufferPointer({ try writeNow(jsonObject: $0) }) { return }
        // Privacy hints change the row: its values are protected, then written as a row.
        let value = try bytes.withUnsafeBufferPointer { try JSONText.decode($0) }
        guard case .object(let row) = value else { throw SluiceError(.badInput, "a JSON row is not an object") }
        try await write(row)
    }

    func writeNow(jsonObject p: UnsafeBufferPointer<UInt8>) throws -> Bool {
        guard privacy.isEmpty else { return false }
        let checksNeedValues = checks?.needsDecoding(p) ?? false
        if let tracker, !checksNeedValues {
            // Only the cursor is needed: read from the text, the row decoded only if its boundary key is.
            try JSONText.validate(p)
            if let cursor = tracker.lookup(inJSON: p) {
                if (rows + skipped) & 1023 == 1023 { try Task.checkCancellation() }
                guard try inWindow(cursor, of: .json(Array(p))) else { return true }
                try file.writeJSONRow(p)
                rows += 1
                return true
            }
        }
        if tracker != nil || checksNeedValues {
            // The cursor and checks need the row's values.
            guard case .object(let row) = try JSONText.decode(p) else { throw SluiceError(.badInput, "a JSON row is not an object") }
            // Nothing changes the row: its text goes to the package as written (normalize reads it directly).
            guard try accepts(row) else { return true }
            try file.writeJSONRow(p)
            rows += 1
            return true
        }
        if rows & 1023 == 1023 { try Task.checkCancellation() }
        try JSONText.validate(p)
        try file.writeJSONRow(p)
        rows += 1
        return true
    }

    /// Unchecked, when nothing needs the row's values now (no cursor, privacy hint or check): normalize
    /// parses every row anyway, and reports broken JSON at `file` and `line` (checking here too was 8% of
    /// the CPU of a JSON Lines load).
    /// A row is a frame of one line (text holding a newline, not a line of a file, is checked now).
    func writeNow(jsonObject p: UnsafeBufferPointer<UInt8>, file path: String, line: Int) throws -> Bool {
        guard takesJSONLines, p.firstIndex(of: 0x0A) == nil else { return try writeNow(jsonObject: p) }
        if rows & 1023 == 1023 { try Task.checkCancellation() }
        try writeLines(p, file: path, firstLine: line)
        rows += 1
        return true
    }

    var takesJSONLines: Bool { privacy.isEmpty && tracker == nil && checks == nil }

    /// Many rows of a file in one frame, unchecked (as ``writeNow(jsonObject:file:line:)`` stores one): by
    /// their place in the file when it is linked into the package (``link(_:_:)``), else copied.
    func write(jsonLines lines: UnsafeBufferPointer<UInt8>, count: Int, file path: String, firstLine: Int, place: LocalFilePlace?) throws {
        guard takesJSONLines else { throw SluiceError(.package, "\(path):\(firstLine): rows of this resource are checked one at a time") }
        try Task.checkCancellation()
        if let place, lines.last == 0x0A, let link = link(path, place) {
            if path != sourceFile || link != currentLink {
                try file.writeLinkedSourceFile(path, link: link)
                sourceFile = path
                currentLink = link
            }
            try file.writeLinkedJSONLines(offset: place.offset, length: lines.count, count: count, firstLine: firstLine)
        } else {
            try writeLines(lines, file: path, firstLine: firstLine)
        }
        rows += count
    }

    private func writeLines(_ lines: UnsafeBufferPointer<UInt8>, file path: String, firstLine: Int) throws {
        if path != sourceFile {
            try file.writeSourceFile(path)
            sourceFile = path
            currentLink = nil
        }
        try file.writeUncheckedJSONLines(lines, firstLine: firstLine)
    }

    /// The name of a hard link in the package's folder to the file the reader has open (`place`'s device and
    /// inode), made from `path` on the first call for that file: `nil` when it cannot be made (another file
    /// system, a file the user may not link) or `path` names another file now (replaced since it was opened).
    private func link(_ path: String, _ place: LocalFilePlace) -> String? {
        let key = FileKey(device: place.device, inode: place.inode)
        if let known = links[key] { return known.name }
        guard !unlinkable.contains(key) else { return nil }
        let folder = file.path.lastIndex(of: "/").map { String(file.path[..<$0]) } ?? "."
        let name = (file.path.split(separator: "/").last.map(String.init) ?? "items") + ".\(links.count + 1).link"
        var info = stat()
        if linkat(AT_FDCWD, path, AT_FDCWD, folder + "/" + name, AT_SYMLINK_FOLLOW) == 0 {
            if stat(folder + "/" + name, &info) == 0, UInt64(info.st_dev) == place.device, UInt64(info.st_ino) == place.inode {
                links[key] = (name, path)
                return name
            }
            unlink(folder + "/" + name)
        }
        unlinkable.insert(key)
        return nil
    }

    func write(encoded row: EncodedRow) async throws {
        if tracker != nil || !privacy.isEmpty || (checks.map { !$0.keys.isEmpty || ($0.forbidsNUL && row.mayHoldNUL) } ?? false) {
            // The cursor, privacy hints and checks need the row's values.
            try await write(try row.decoded())
            return
        }
        if rows & 1023 == 1023 { try Task.checkCancellation() }
        try file.writeEncodedRow(row)
        rows += 1
    }

    /// The resource's state after this run, or `nil` when nothing changed.
    func finalState() throws -> ResourceState? {
        let next = ResourceState(cursor: try tracker?.finalState(), values: values)
        let before = priorState ?? ResourceState()
        return next == before ? nil : next
    }
}
