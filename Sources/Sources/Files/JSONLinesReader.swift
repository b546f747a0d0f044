import PipelineCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams the records of a JSON Lines file: one JSON value per line, blank lines skipped.
///
/// A line holding an object is a row; any other value becomes a row with one `value` field, as dlt
/// wraps scalars. A malformed line is an error naming the file, line and byte.
public struct JSONLinesReader: JSONRecordReader {
    public let path: String

    public init(path: String) { self.path = path }

    func read(json: (any JSONRowWriter)?, _ emit: (Row) async throws -> Void) async throws {
        var buffer = ChunkBuffer(try openByteStream(path: path))
        var line = 0
        var records = 0
        var scanFrom = 0
        var first = true
        // Consecutive lines of objects, gathered for one call when the writer takes them so
        // (``JSONRowWriter/write(jsonLines:count:file:firstLine:place:)``): from `run.start` up to `buffer.start`.
        let batches = json?.takesJSONLines ?? false
        // A regular file, read as it is: the lines' place in it goes with them.
        let identity = (buffer.stream as? FileByteStream)?.identity
        var run = (start: 0, count: 0, firstLine: 0)
        func writeRun(_ bytes: [UInt8], upTo end: Int) throws {
            guard run.count > 0, let json else { return }
            let place = identity.map { LocalFilePlace(device: $0.device, inode: $0.inode, offset: buffer.offset + run.start) }
            try bytes.withUnsafeBufferPointer { p in
                do {
                    try json.write(jsonLines: UnsafeBufferPointer(rebasing: p[run.start..<end]), count: run.count, file: path,
                                   firstLine: run.firstLine, place: place)
                } catch let error as SluiceError {
                    throw error.placed(file: path, line: run.firstLine)
                }
            }
            records += run.count
            run.count = 0
        }
        // A line not gathered in a run (not an object, or the writer takes rows one at a time). When it is
        // refused here, the engine reports a broken row stored unchecked before it instead (the first).
        func writeLine(upTo end: Int) async throws {
            if let json, try writeNow(buffer.bytes, buffer.start, end, line: line, json) {
                records += 1
            } else {
                try await parseLine(buffer.bytes, buffer.start, end, line: line, records: &records, json, emit)
            }
        }
        while true {
            let hasMore = try buffer.fill()
            if first {
                first = false
                // A UTF-8 byte order mark, as some editors write, is not data.
                if buffer.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { buffer.start = 3 }
            }
            // Split complete lines; the tail without a newline waits for the next chunk, or is last.
            while true {
                let end: Int? = buffer.bytes.withUnsafeBufferPointer { p -> Int? in
                    let base = p.baseAddress!
                    let from = max(buffer.start, scanFrom)
                    guard from < p.count, let hit = memchr(base + from, 0x0A, p.count - from) else { return nil }
                    return UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
                }
                guard let end else {
                    scanFrom = buffer.bytes.count
                    break
                }
                line += 1
                if batches, Self.content(buffer.bytes, buffer.start, end).first == UInt8(ascii: "{") {
                    if run.count == 0 { run = (buffer.start, 0, line) }
                    run.count += 1
                } else {
                    try writeRun(buffer.bytes, upTo: buffer.start)
                    try await writeLine(upTo: end)
                }
                buffer.start = end + 1
                scanFrom = buffer.start
            }
            // The next fill moves the unread bytes: the lines gathered go first.
            try writeRun(buffer.bytes, upTo: buffer.start)
            scanFrom -= buffer.start
            if !hasMore {
                if buffer.start < buffer.bytes.count {
                    line += 1  // the last line, without a newline
                    try await writeLine(upTo: buffer.bytes.count)
                }
                break
            }
        }
    }

    /// Hands the line to `json` without suspending when it holds an object and the writer can take it at
    /// once (``JSONRowWriter/writeNow(jsonObject:)``); `false`, having done nothing, otherwise.
    private func writeNow(_ bytes: [UInt8], _ from: Int, _ to: Int, line: Int, _ json: any JSONRowWriter) throws -> Bool {
        let (to, first) = Self.content(bytes, from, to)
        guard first == UInt8(ascii: "{") else { return false }
        return try bytes.withUnsafeBufferPointer { p in
            do {
                return try json.writeNow(jsonObject: UnsafeBufferPointer(rebasing: p[from..<to]), file: path, line: line)
            } catch let error as JSONText.ParseError {
                throw SluiceError(.badInput, error.message(), file: path, line: line)
            } catch let error as SluiceError {
                throw error.placed(file: path, line: line)
            }
        }
    }

    /// The end of the line `bytes[from..<to]` without a final `\r`, and its first byte that is not JSON's
    /// white space (a space, a tab, a `\r`; `nil` for a blank line).
    private static func content(_ bytes: [UInt8], _ from: Int, _ to: Int) -> (end: Int, first: UInt8?) {
        let end = to > from && bytes[to - 1] == 0x0D ? to - 1 : to
        var k = from
        while k < end, bytes[k] == 0x20 || bytes[k] == 0x09 || bytes[k] == 0x0D { k += 1 }
        return (end, k < end ? bytes[k] : nil)
    }

    private func parseLine(_ bytes: [UInt8], _ from: Int, _ to: Int, line: Int, records: inout Int,
                           _ json: (any JSONRowWriter)?, _ emit: (Row) async throws -> Void) async throws
    {
        let (to, first) = Self.content(bytes, from, to)
        guard let first else { return }
        if let json, first == UInt8(ascii: "{") {
            do {
                try await placing(file: path, line: line) { try await json.write(jsonObject: bytes[from..<to]) }
            } catch let error as JSONText.ParseError {
                throw SluiceError(.badInput, error.message(), file: path, line: line)
            }
            records += 1
            return
        }
        let value: Value
        do {
            value = try bytes.withUnsafeBufferPointer { p in
                try JSONText.decode(UnsafeBufferPointer(rebasing: p[from..<to]))
            }
        } catch let error as JSONText.ParseError {
            throw SluiceError(.badInput, error.message(), file: path, line: line)
        }
        records += 1
        try await placing(file: path, line: line) { try await emit(Self.row(from: value)) }
    }

    /// dlt's `wrap_in_dict`: an object is the row; anything else is `{"value": x}`.
    static func row(from value: Value) -> Row {
        if case .object(let row) = value { return row }
        return Row([Row.Field("value", value)])
    }
}

/// A reader of JSON records that can hand objects over as validated text (see ``JSONRowWriter``).
protocol JSONRecordReader: Sendable {
    /// Emits each record; objects go to `json` as text when it is given, everything else to `emit`.
    func read(json: (any JSONRowWriter)?, _ emit: (Row) async throws -> Void) async throws
}

extension JSONRecordReader {
    /// Streams rows into `out`; objects go as JSON text when `out` is a ``JSONRowWriter``.
    public func read(into out: any RowWriter) async throws {
        try await read(json: out as? any JSONRowWriter) { try await out.write($0) }
    }

    /// Emits every record as a ``Row``.
    public func read(_ emit: (Row) async throws -> Void) async throws {
        try await read(json: nil, emit)
    }
}
