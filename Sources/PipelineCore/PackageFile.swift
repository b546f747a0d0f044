#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The binary row files inside load packages.
///
/// A file is a sequence of frames: a 4-byte little-endian length, then the payload. Values are
/// tagged (one byte) and lengths are LEB128 varints. Object keys are interned per file: the first
/// occurrence of a key is written out (`varint(length << 1)`, bytes), later ones as `varint(id << 1 | 1)`. Extracted files hold whole nested rows;
/// normalized files hold flat rows as `(column index, value)` pairs against the package schema.
/// The format is the engine's own, with no version of its own: a pending or failed package may be retried by
/// another version of sluice, so a tag a reader does not know is an error (``FrameDecoder/readValue()``,
/// ``FlatRowCursor/checkEnd()``), never a value skipped.
public enum PackageFile {
    @usableFromInline enum Tag: UInt8 {
        case null = 0, falseValue, trueValue, bigint, double, decimal, text, date, timestamp, binary, object, array
        /// Text as ``text`` holds it, known to hold no `"`, `\` or control character (a JSON string that had
        /// no escapes): a JSON writer copies it without looking for what to escape (normalized files only).
        case plainText
        /// A double read from a short decimal (normalized files only): the varint of its digits `m`, then a
        /// byte of its decimals `k` (0...6), 0x80 added when negative; the double is `m / 10^k`, correctly
        /// rounded (as parsing the text gave it). `m` has at most 15 digits and no trailing zero after the
        /// point, and the value is 0 or at least 0.001, so the digits are the text Swift's `description`
        /// writes for the double (its shortest round trip): a JSON or CSV writer copies them (see
        /// ``FieldPayload/scaledDouble(_:_:)``) instead of finding them again, and the parse needs no division.
        case scaledDouble
        /// A bigint as a zigzag varint (normalized files only; `0, -1, 1, -2, ...` as `0, 1, 2, 3, ...`, as
        /// protobuf's `sint64`): one or two bytes for the small integers most columns hold, where ``bigint``
        /// takes eight, so a package of ids and counts is a quarter smaller to write, sync and read back.
        case smallBigint
        /// A whole row stored as validated JSON object text (extracted files only).
        case jsonObject = 0xFE
        /// Not a row: the path of the file the ``uncheckedJSONLines`` rows after it were read from.
        case sourceFile = 0xFC
        /// Rows of consecutive lines of the current source file (one or many), stored as JSON object text
        /// not checked yet (extracted files only): the varint of the first one's line, then the lines' text,
        /// each line ending with `\n`. Normalize parses every row anyway, and reports a broken one at its
        /// file and line.
        case uncheckedJSONLines = 0xFB
        /// Not a row: ``sourceFile`` for a file the package holds a hard link to (in the package file's
        /// folder), so that ``linkedJSONLines`` rows can be read from it: the varint of the link's name's
        /// length, the name, then the file's path.
        case linkedSourceFile = 0xFA
        /// ``uncheckedJSONLines`` rows kept in the current linked source file rather than copied: varints of
        /// the first one's line, the lines' byte offset in the file, their length (whole lines, the last
        /// ending with `\n`) and their number (checked as they are read: lines moved since are an error). A
        /// package holds a local file by a hard link (when its folder is on the same file system), as dlt's
        /// file import links a file into its package: a JSON Lines file is not written again as it is
        /// extracted (10% of the CPU of a load of one into files).
        case linkedJSONLines = 0xF9
    }
}

/// Signed integers as unsigned ones, small magnitudes small: `0, -1, 1, -2, ...` as `0, 1, 2, 3, ...`
/// (protobuf's `sint64`, Thrift's compact protocol), so a varint of a small negative number is short too.
public enum ZigZag {
    @inlinable @inline(__always) public static func encode(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

    @inlinable @inline(__always) public static func decode(_ z: UInt64) -> Int64 { Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1) }
}

extension PackageFile {
    /// Appends a scalar value, tagged (objects and lists are written by ``PackageFileWriter/writeValue(_:)``).
    @inline(__always)
    static func appendScalar(_ value: Value, to buffer: inout [UInt8]) {
        switch value {
        case .null: buffer.append(Tag.null.rawValue)
        case .bool(let b): buffer.append(b ? Tag.trueValue.rawValue : Tag.falseValue.rawValue)
        case .bigint(let i): appendFixed64(UInt64(bitPattern: i), tag: .bigint, to: &buffer)
        case .double(let d): appendFixed64(d.bitPattern, tag: .double, to: &buffer)
        case .decimal(let s): appendBytes(s, tag: .decimal, to: &buffer)
        case .text(let s): appendBytes(s, tag: .text, to: &buffer)
        case .date(let d): appendFixed64(UInt64(bitPattern: Int64(d)), tag: .date, to: &buffer)
        case .timestamp(let t): appendFixed64(UInt64(bitPattern: t), tag: .timestamp, to: &buffer)
        case .binary(let b):
            buffer.append(Tag.binary.rawValue)
            appendVarint(b.count, to: &buffer)
            buffer.append(contentsOf: b)
        case .object, .array: preconditionFailure("appendScalar of a nested value")
        }
    }

    @inline(__always) static func appendVarint(_ v: Int, to buffer: inout [UInt8]) {
        var v = UInt64(UInt(bitPattern: v))  // its bit pattern (a zigzag bigint may use all 64 bits)
        while v >= 0x80 {
            buffer.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        buffer.append(UInt8(v))
    }

    @inline(__always) private static func appendFixed64(_ v: UInt64, tag: Tag, to buffer: inout [UInt8]) {
        buffer.append(tag.rawValue)
        withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) }
    }

    @inline(__always) private static func appendBytes(_ s: String, tag: Tag, to buffer: inout [UInt8]) {
        buffer.append(tag.rawValue)
        var s = s
        s.withUTF8 { p in
            appendVarint(p.count, to: &buffer)
            buffer.append(contentsOf: p)
        }
    }
}

/// Appends frames to a package file through one reusable buffer.
public final class PackageFileWriter {
    private let handle: UnsafeMutablePointer<FILE>
    public let path: String
    var buffer: [UInt8] = []
    private var frameStart = 0
    public private(set) var frames = 0
    /// Bytes handed to the file so far (whole frames only).
    public private(set) var bytesWritten = 0
    /// Called after every flush with ``bytesWritten``, once those bytes are readable by another reader of
    /// the file: a stage that overlaps this one reads up to there (see ``PackageFileReader/gate``). What it
    /// throws (the reading stage failed: writing on is pointless) the write throws.
    public var onFlush: ((Int) throws(SluiceError) -> Void)?
    private var keyIds: [String: Int] = [:]
    /// The keys of the encoded rows written last, and their interned references (see ``writeEncodedRow(_:)``).
    var encodedKeys: (keys: EncodedRow.Keys, references: [UInt8], ends: [Int])?

    public init(path: String) throws(SluiceError) {
        guard let h = fopen(path, "wb") else {
            throw SluiceError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        handle = h
        self.path = path
        buffer.reserveCapacity(1 << 20)
    }

    deinit { fclose(handle) }

    /// Starts a frame; the frame's bytes are everything written until ``endFrame()``.
    @inline(__always) public func beginFrame() {
        frameStart = buffer.count
        for _ in 0..<4 { buffer.append(0) }
    }

    public func endFrame() throws(SluiceError) {
        let length = UInt32(buffer.count - frameStart - 4)
        buffer[frameStart] = UInt8(length & 0xff)
        buffer[frameStart + 1] = UInt8((length >> 8) & 0xff)
        buffer[frameStart + 2] = UInt8((length >> 16) & 0xff)
        buffer[frameStart + 3] = UInt8(length >> 24)
        frames += 1
        if buffer.count >= (1 << 20) { try flush() }
    }

    @inline(__always) public func writeVarint(_ v: Int) { PackageFile.appendVarint(v, to: &buffer) }

    /// Writes a key (interned: see ``PackageFile``) and returns its id in this file.
    @discardableResult func writeKey(_ key: String) -> Int {
        if let id = keyIds[key] {
            writeVarint(id << 1 | 1)
            return id
        }
        let id = keyIds.count
        keyIds[key] = id
        var k = key
        k.withUTF8 { p in
            writeVarint(p.count << 1)
            buffer.append(contentsOf: p)
        }
        return id
    }

    /// Writes one tagged value; nested values recursively.
    public func writeValue(_ value: Value) {
        switch value {
        case .object(let row):
            buffer.append(PackageFile.Tag.object.rawValue)
            writeVarint(row.fields.count)
            for field in row.fields {
                writeKey(field.name)
                writeValue(field.value)
            }
        case .array(let items):
            buffer.append(PackageFile.Tag.array.rawValue)
            writeVarint(items.count)
            for item in items { writeValue(item) }
        default:
            PackageFile.appendScalar(value, to: &buffer)
        }
    }

    /// Writes a row given as JSON object text, already validated, as one frame (extracted files).
    public func writeJSONRow(_ json: UnsafeBufferPointer<UInt8>) throws(SluiceError) {
        beginFrame()
        buffer.append(PackageFile.Tag.jsonObject.rawValue)
        buffer.append(contentsOf: json)
        try endFrame()
    }

    /// Writes the rows of consecutive lines read from the source file last given to ``writeSourceFile(_:)``,
    /// the first from line `firstLine`, unchecked, as one frame (see ``JSONRowWriter/write(jsonLines:count:file:firstLine:place:)``
    /// for what `lines` holds; a last line without its `\n` gets one). ``PackageFileReader/advance()`` gives
    /// them one row at a time, and the normalize stage checks each as it parses it (``PackageFileReader/currentSource``).
    public func writeUncheckedJSONLines(_ lines: UnsafeBufferPointer<UInt8>, firstLine: Int) throws(SluiceError) {
        beginFrame()
        buffer.append(PackageFile.Tag.uncheckedJSONLines.rawValue)
        writeVarint(firstLine)
        let closing: [UInt8] = lines.last == 0x0A ? [] : [0x0A]
        guard lines.count >= 1 << 16 else {
            buffer.append(contentsOf: lines)
            buffer.append(contentsOf: closing)
            try endFrame()
            return
        }
        // Many lines: they go to the file from the caller's buffer, not copied into this one first (a copy
        // of every byte of the file less). The frames before, and this one's head, go first.
        let length = buffer.count - frameStart - 4 + lines.count + closing.count
        for k in 0..<4 { buffer[frameStart + k] = UInt8(truncatingIfNeeded: length >> (8 * k)) }
        let head = buffer.count
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
            + fwrite(lines.baseAddress, 1, lines.count, handle) + closing.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        guard written == head + lines.count + closing.count else {
            throw SluiceError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        bytesWritten += written
        buffer.removeAll(keepingCapacity: true)
        frames += 1
        try flushed()
    }

    /// Names the file the unchecked JSON rows written next come from (a frame that is not a row).
    public func writeSourceFile(_ path: String) throws(SluiceError) {
        beginFrame()
        buffer.append(PackageFile.Tag.sourceFile.rawValue)
        buffer.append(contentsOf: Array(path.utf8))
        try endFrame()
    }

    /// Names the file the unchecked JSON rows written next come from, and the hard link to it in this
    /// file's folder (`link`, a name) that ``writeLinkedJSONLines(offset:length:count:firstLine:)`` rows are read from.
    public func writeLinkedSourceFile(_ path: String, link: String) throws(SluiceError) {
        beginFrame()
        buffer.append(PackageFile.Tag.linkedSourceFile.rawValue)
        writeVarint(link.utf8.count)
        buffer.append(contentsOf: Array(link.utf8))
        buffer.append(contentsOf: Array(path.utf8))
        try endFrame()
    }

    /// ``writeUncheckedJSONLines(_:firstLine:)`` for lines that stay in the linked source file named last
    /// (``writeLinkedSourceFile(_:link:)``): `length` bytes from `offset`, `count` whole lines.
    public func writeLinkedJSONLines(offset: Int, length: Int, count: Int, firstLine: Int) throws(SluiceError) {
        beginFrame()
        buffer.append(PackageFile.Tag.linkedJSONLines.rawValue)
        writeVarint(firstLine)
        writeVarint(offset)
        writeVarint(length)
        writeVarint(count)
        try endFrame()
        // A reader of the file while it is written (the overlapped normalize stage) reads these lines now,
        // not once a megabyte of such small frames has gathered.
        if onFlush != nil { try flush() }
    }

    /// Writes a nested row as one frame (extracted files).
    public func writeRow(_ row: Row) throws(SluiceError) {
        beginFrame()
        writeValue(.object(row))
        try endFrame()
    }

    /// Writes the buffered frames to the file. Called at frame boundaries only, so the file always ends
    /// with a whole frame once a flush returns.
    public func flush() throws(SluiceError) {
        if buffer.isEmpty { return }
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        guard written == buffer.count else {
            throw SluiceError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        bytesWritten += buffer.count
        buffer.removeAll(keepingCapacity: true)
        try flushed()
    }

    /// Tells a reader of the file (``onFlush``) that whole frames reach up to ``bytesWritten``.
    private func flushed() throws(SluiceError) {
        if let onFlush {
            guard fflush(handle) == 0 else { throw SluiceError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
            try onFlush(bytesWritten)
        }
    }

    /// Flushes the buffered frames through to the file, so another reader of it sees them; returns
    /// ``bytesWritten``.
    public func flushForReaders() throws(SluiceError) -> Int {
        try flush()
        guard fflush(handle) == 0 else { throw SluiceError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
        return bytesWritten
    }

    /// Flushes and forces the file to stable storage, so a later rename publishes complete data.
    public func sync() throws(SluiceError) {
        try flush()
        guard fflush(handle) == 0, fsync(fileno(handle)) == 0 else {
            throw SluiceError(.io, "cannot sync \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Reads frames of a package file. A frame's bytes stay valid until the next call to ``nextFrame()``.
public final class PackageFileReader {
    private let fd: Int32
    /// Read ahead from the file: bytes `bufferStart..<bufferEnd` of `bufferCapacity` at `buffer` are not
    /// consumed yet. Frames are copied out of it once (reading through stdio into an array meant filling
    /// the array with zeros first: 2-3% of a load's CPU).
    private let buffer: UnsafeMutablePointer<UInt8>
    private static let bufferCapacity = 1 << 20
    private var bufferStart = 0, bufferEnd = 0
    public let path: String
    var frame: [UInt8] = []
    var keys: [String] = []
    /// The key table's size before the current frame (``forEachFlatField(_:)`` may have added its keys).
    var frameKeyBase = 0
    /// Object keys of the JSON rows read so far (see ``JSONKeyTable``).
    private let jsonKeys = JSONKeyTable()
    /// Whether the row ``nextRow(exactFloats:)`` returned last was stored as JSON text.
    public private(set) var lastRowWasJSON = false
    /// Where the JSON text of the current row starts in ``frame`` (after its tag, and its line when
    /// unchecked), or in ``linked`` when `rowIsLinked`, and ends.
    private var jsonStart = 1, jsonEnd = 0
    /// In an ``PackageFile/Tag/uncheckedJSONLines`` frame or lines read for a
    /// ``PackageFile/Tag/linkedJSONLines`` one: where the next row's line starts (`linesEnd` once all are
    /// read; 0 for other frames), its line in the source file, and where the lines end.
    private var nextLine = 0, nextLineNumber = 0, linesEnd = 0
    /// The package file's folder, open for an extracted package's item file (`.items`): a linked source file is
    /// opened in it (it follows the folder's renames); -1 otherwise.
    private let folder: Int32
    /// The linked source file named last (-1: none), and the lines of a ``PackageFile/Tag/linkedJSONLines``
    /// frame read from it (`linkedCapacity` bytes at `linked`).
    private var linkedFile: Int32 = -1
    private var linked: UnsafeMutablePointer<UInt8>?
    private var linkedCapacity = 0
    private var rowIsLinked = false
    /// Lines of the current ``PackageFile/Tag/linkedJSONLines`` frame not read yet, and its first line.
    private var linkedLinesLeft = 0, linkedFirstLine = 0
    /// The source file of the unchecked JSON rows that follow (their ``PackageFile/Tag/sourceFile`` frame).
    private var sourceFile: String?
    /// The file and line the current row was read from, when it was stored unchecked: the place a broken
    /// row, or any error in it, is reported at.
    public var currentSource: (file: String, line: Int)? {
        guard currentLine > 0, let sourceFile else { return nil }
        return (sourceFile, currentLine)
    }
    /// The line of ``currentSource`` (0: the current row was not stored unchecked): a number per row, where
    /// the pair held the file's name, retained and released per row.
    private var currentLine = 0
    /// Bytes of frames read so far.
    public private(set) var position = 0
    /// For a file another stage is still writing: called with ``position`` when the frames known to be
    /// readable are read, it returns once more are, with the offset up to which the file holds whole frames
    /// (past `position`), or `nil` once the file is complete and read, waiting in between. `nil` (the
    /// default) reads until the end of the file.
    public var gate: ((Int) throws(SluiceError) -> Int?)? {
        didSet { readableUntil = 0 }
    }
    /// The offset up to which the gate said whole frames are readable.
    private var readableUntil = 0

    public init(path: String) throws(SluiceError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SluiceError(.package, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.path = path
        // Only an extracted package's item files hold linked rows: a normalized file's reader (one per table,
        // all open at once in a load) keeps one descriptor.
        let slash = path.lastIndex(of: "/")
        folder = !path.hasSuffix(".items") ? -1
            : open(slash.map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        buffer = .allocate(capacity: Self.bufferCapacity)
    }

    deinit {
        close(fd)
        if folder >= 0 { close(folder) }
        if linkedFile >= 0 { close(linkedFile) }
        linked?.deallocate()
        buffer.deallocate()
    }

    /// Reads the next frame into `storage` (appending), returning its length, or `nil` at the end of the file.
    public func readFrame(appendingTo storage: inout [UInt8]) throws(SluiceError) -> Int? {
        if let gate, position >= readableUntil {
            guard let until = try gate(position) else { return nil }
            readableUntil = until
        }
        guard try fill(4) else {
            if bufferEnd > bufferStart { throw SluiceError(.package, "truncated frame header in \(path)") }
            return nil
        }
        let header = UnsafeRawPointer(buffer).loadUnaligned(fromByteOffset: bufferStart, as: UInt32.self)
        let length = Int(UInt32(littleEndian: header))
        bufferStart += 4
        var left = length
        while left > 0 {
            if bufferStart == bufferEnd, try !fill(1) { throw SluiceError(.package, "truncated frame in \(path)") }
            let n = min(left, bufferEnd - bufferStart)
            storage.append(contentsOf: UnsafeBufferPointer(start: buffer + bufferStart, count: n))
            bufferStart += n
            left -= n
        }
        position += 4 + length
        return length
    }

    /// Reads from the file until at least `count` bytes are buffered; `false` at its end before that.
    private func fill(_ count: Int) throws(SluiceError) -> Bool {
        while bufferEnd - bufferStart < count {
            if bufferStart > 0 {
                // What is left moves to the front (at most a frame header's few bytes, or none).
                memmove(buffer, buffer + bufferStart, bufferEnd - bufferStart)
                bufferEnd -= bufferStart
                bufferStart = 0
            }
            let n = read(fd, buffer + bufferEnd, Self.bufferCapacity - bufferEnd)
            if n < 0 {
                if errno == EINTR { continue }
                throw SluiceError(.package, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return false }
            bufferEnd += n
        }
        return true
    }

    /// Reads the next frame, or `nil` at the end of the file.
    public func nextFrame() throws(SluiceError) -> FrameDecoder? {
        frame.removeAll(keepingCapacity: true)
        guard try readFrame(appendingTo: &frame) != nil else { return nil }
        return FrameDecoder(bytes: frame)
    }

    /// Reads the next nested row (extracted files). `exactFloats` applies to rows stored as JSON text
    /// (see ``JSONText/decode(_:exactFloats:)``); ``lastRowWasJSON`` tells whether this one was.
    public func nextRow(exactFloats: Bool = false) throws(SluiceError) -> Row? {
        guard try advance() else { return nil }
        return try currentRow(exactFloats: exactFloats)
    }

    /// Reads the next row's frame (extracted files) without decoding it: ``currentRow(exactFloats:)``
    /// decodes it, and ``withCurrentJSON(_:)`` gives a row stored as JSON text as its bytes. `false` at
    /// the end of the file.
    public func advance() throws(SluiceError) -> Bool {
        if nextLine < linesEnd, nextLine > 0 {
            if rowIsLinked, linkedLinesLeft == 0 { throw linesMoved() }
            takeLine()
            return true
        }
        if rowIsLinked, linkedLinesLeft != 0 { throw linesMoved() }
        while true {
            frame.removeAll(keepingCapacity: true)
            nextLine = 0
            linesEnd = 0
            rowIsLinked = false
            guard try readFrame(appendingTo: &frame) != nil else { return false }
            jsonEnd = frame.count
            switch frame.first {
            case PackageFile.Tag.jsonObject.rawValue:
                lastRowWasJSON = true
                jsonStart = 1
                currentLine = 0
            case PackageFile.Tag.uncheckedJSONLines.rawValue:
                var decoder = FrameDecoder(bytes: frame, offset: 1)
                nextLineNumber = try decoder.readVarint()
                guard sourceFile != nil else { throw SluiceError(.package, "unchecked JSON rows before their source file in \(path)") }
                guard decoder.offset < frame.count, frame.last == 0x0A else { throw SluiceError(.package, "a frame of JSON lines without a whole line in \(path)") }
                nextLine = decoder.offset
                linesEnd = frame.count
                takeLine()
                return true
            case PackageFile.Tag.linkedJSONLines.rawValue:
                var decoder = FrameDecoder(bytes: frame, offset: 1)
                nextLineNumber = try decoder.readVarint()
                let offset = try decoder.readVarint(), length = try decoder.readVarint()
                linkedLinesLeft = try decoder.readVarint()
                linkedFirstLine = nextLineNumber
                try readLinked(length, at: offset)
                rowIsLinked = true
                linesEnd = length
                takeLine()
                return true
            case PackageFile.Tag.sourceFile.rawValue:
                sourceFile = String(decoding: frame[1...], as: UTF8.self)
                continue
            case PackageFile.Tag.linkedSourceFile.rawValue:
                var decoder = FrameDecoder(bytes: frame, offset: 1)
                let nameLength = try decoder.readVarint()
                guard decoder.offset + nameLength <= frame.count else { throw SluiceError(.package, "a truncated linked file's name in \(path)") }
                let name = String(decoding: frame[decoder.offset..<(decoder.offset + nameLength)], as: UTF8.self)
                sourceFile = String(decoding: frame[(decoder.offset + nameLength)...], as: UTF8.self)
                if linkedFile >= 0 { close(linkedFile) }
                linkedFile = folder < 0 ? -1 : openat(folder, name, O_RDONLY | O_CLOEXEC)
                guard linkedFile >= 0 else {
                    throw SluiceError(.package, "cannot open \(name), the package's link to \(sourceFile!), beside \(path): \(String(cString: strerror(errno)))")
                }
                continue
            default:
                lastRowWasJSON = false
                currentLine = 0
            }
            frameKeyBase = keys.count
            return true
        }
    }

    /// Reads `length` bytes of the linked source file from `offset` into ``linked``: whole lines, as the
    /// extract stage read them. A file cut shorter since is an error at its first line no longer whole; one
    /// whose lines moved, at the range's first line.
    private func readLinked(_ length: Int, at offset: Int) throws(SluiceError) {
        guard linkedFile >= 0, let source = sourceFile else { throw SluiceError(.package, "linked JSON rows before their source file in \(path)") }
        guard length > 0 else { throw SluiceError(.package, "an empty frame of linked JSON lines in \(path)") }
        if linkedCapacity < length {
            linked?.deallocate()
            linkedCapacity = max(length, 1 << 20)
            linked = .allocate(capacity: linkedCapacity)
        }
        var done = 0
        while done < length {
            let n = pread(linkedFile, linked! + done, length - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw SluiceError(.io, "cannot read: \(String(cString: strerror(errno)))", file: source) }
            if n == 0 { break }
            done += n
        }
        guard done == length, linked![length - 1] == 0x0A else {
            guard done < length else { throw linesMoved() }
            // Cut shorter: the lines still whole are there, the first one that is not is named (when the file
            // now ends before these lines, lines before them read earlier were cut too: this one is named).
            var whole = 0
            for k in 0..<done where linked![k] == 0x0A { whole += 1 }
            throw SluiceError(.badInput, "the file changed while it was being loaded (it ends \(done == 0 ? "before" : "within") "
                + "this line now, shorter than when it was read)", file: source, line: nextLineNumber + whole)
        }
    }

    /// The error for lines of a linked file that are not where they were when the extract stage read them
    /// (they do not end where the frame does, or are not as many).
    private func linesMoved() -> SluiceError {
        SluiceError(.badInput, "the file changed while it was being loaded (its lines from this one on are not where "
            + "they were when it was read)", file: sourceFile, line: linkedFirstLine)
    }

    /// Makes the next line of the current ``PackageFile/Tag/uncheckedJSONLines`` frame, or of the lines read
    /// for a ``PackageFile/Tag/linkedJSONLines`` one, the current row (they end with a line's `\n`, so every
    /// line has one).
    private func takeLine() {
        withLines { p in
            let base = p.baseAddress!
            let end = memchr(base + nextLine, 0x0A, linesEnd - nextLine)
                .map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base } ?? linesEnd
            jsonStart = nextLine
            jsonEnd = end > nextLine && base[end - 1] == 0x0D ? end - 1 : end
            nextLine = end + 1
        }
        lastRowWasJSON = true
        currentLine = nextLineNumber
        nextLineNumber += 1
        linkedLinesLeft -= 1
        frameKeyBase = keys.count
    }

    /// The bytes the current row's JSON text is in: ``linked`` or ``frame``.
    @inline(__always) private func withLines<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        if rowIsLinked { return try body(UnsafeBufferPointer(start: linked!, count: linesEnd)) }
        return try frame.withUnsafeBufferPointer(body)
    }

    /// The JSON text of the row ``advance()`` read (``lastRowWasJSON`` is `true`), valid inside `body` only.
    public func withCurrentJSON<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try withLines { p throws(E) in try body(UnsafeBufferPointer(rebasing: p[jsonStart..<jsonEnd])) }
    }

    /// Decodes the row ``advance()`` read. Call it once per frame of a file whose frames are not all JSON
    /// text: the binary frames' key interning reads them in order.
    public func currentRow(exactFloats: Bool = false) throws(SluiceError) -> Row {
        if lastRowWasJSON {
            let value: Value
            do {
                value = try withCurrentJSON { p throws(JSONText.ParseError) in
                    try JSONText.decode(p, exactFloats: exactFloats, keys: jsonKeys)
                }
            } catch {
                // A row stored unchecked is checked here: broken JSON in the source, at its file and line.
                if let (file, line) = currentSource { throw SluiceError(.badInput, error.message(), file: file, line: line) }
                throw SluiceError(.package, "corrupt JSON row in \(path): \(error)")
            }
            guard case .object(let row) = value else { throw SluiceError(.package, "JSON frame is not an object in \(path)") }
            return row
        }
        var decoder = FrameDecoder(bytes: frame)
        if keys.count > frameKeyBase { keys.removeSubrange(frameKeyBase...) }  // the frame's own keys, read again
        decoder.keys = keys
        keys = []
        defer { keys = decoder.keys }
        guard case .object(let row) = try decoder.readValue() else {
            throw SluiceError(.package, "frame is not a row in \(path)")
        }
        return row
    }
}

/// Decodes values from one frame's bytes.
public struct FrameDecoder {
    let bytes: [UInt8]
    var offset = 0
    /// Interned object keys seen so far in this file.
    var keys: [String] = []

    public init(bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var isAtEnd: Bool { offset >= bytes.count }

    public mutating func readVarint() throws(SluiceError) -> Int {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 64 else { throw SluiceError(.package, "corrupt varint") }
            let b = bytes[offset]
            offset += 1
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return Int(bitPattern: UInt(result)) }  // its bit pattern (a zigzag bigint may use all 64 bits)
            shift += 7
        }
    }

    mutating func readFixed64() throws(SluiceError) -> UInt64 {
        guard offset + 8 <= bytes.count else { throw SluiceError(.package, "corrupt frame") }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[offset + k]) << (8 * UInt64(k)) }
        offset += 8
        return v
    }

    mutating func readString() throws(SluiceError) -> String {
        let n = try readVarint()
        guard offset + n <= bytes.count else { throw SluiceError(.package, "corrupt frame") }
        let s = String(decoding: bytes[offset..<(offset + n)], as: UTF8.self)
        offset += n
        return s
    }

    public mutating func readValue() throws(SluiceError) -> Value {
        guard offset < bytes.count, let tag = PackageFile.Tag(rawValue: bytes[offset]) else {
            throw SluiceError(.package, "corrupt value tag")
        }
        offset += 1
        switch tag {
        case .jsonObject, .uncheckedJSONLines, .sourceFile, .linkedSourceFile, .linkedJSONLines:
            throw SluiceError(.package, "a JSON row inside a value")
        case .null: return .null
        case .falseValue: return .bool(false)
        case .trueValue: return .bool(true)
        case .bigint: return .bigint(Int64(bitPattern: try readFixed64()))
        case .smallBigint:
            return .bigint(ZigZag.decode(UInt64(UInt(bitPattern: try readVarint()))))
        case .double: return .double(Double(bitPattern: try readFixed64()))
        case .decimal: return .decimal(try readString())
        case .text, .plainText: return .text(try readString())
        case .scaledDouble:
            let m = try readVarint()
            guard offset < bytes.count else { throw SluiceError(.package, "truncated value") }
            let k = bytes[offset]
            offset += 1
            return .double(FieldPayload.scaledDouble(UInt64(m), k))
        case .date: return .date(Int32(truncatingIfNeeded: Int64(bitPattern: try readFixed64())))
        case .timestamp: return .timestamp(Int64(bitPattern: try readFixed64()))
        case .binary:
            let n = try readVarint()
            guard offset + n <= bytes.count else { throw SluiceError(.package, "corrupt frame") }
            defer { offset += n }
            return .binary(Array(bytes[offset..<(offset + n)]))
        case .object:
            let n = try readVarint()
            var row = Row()
            row.fields.reserveCapacity(n)
            for _ in 0..<n {
                let tag = try readVarint()
                let name: String
                if tag & 1 == 1 {
                    guard tag >> 1 < keys.count else { throw SluiceError(.package, "corrupt key reference") }
                    name = keys[tag >> 1]
                } else {
                    let length = tag >> 1
                    guard offset + length <= bytes.count else { throw SluiceError(.package, "corrupt frame") }
                    name = String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
                    offset += length
                    keys.append(name)
                }
                row.fields.append(Row.Field(name, try readValue()))
            }
            return .object(row)
        case .array:
            let n = try readVarint()
            var items: [Value] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try readValue()) }
            return .array(items)
        }
    }
}
