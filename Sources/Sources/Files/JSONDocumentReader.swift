import PipelineCore

/// Streams the records of a JSON document: a top-level array of records (read one element at a
/// time, so memory does not grow with the file), or a single object (one record).
public struct JSONDocumentReader: JSONRecordReader {
    public let path: String

    public init(path: String) { self.path = path }

    /// Added to an error for data after the document on a later line: the commonest cause.
    static let jsonLinesHint = " (if the file holds one JSON value per line, it is JSON Lines: name it .jsonl, or give format jsonl "
        + "(`sluice load --format jsonl`, or format = \"jsonl\" in sluice.toml))"

    func read(json: (any JSONRowWriter)?, _ emit: (Row) async throws -> Void) async throws {
        var buffer = ChunkBuffer(try openByteStream(path: path))
        _ = try buffer.fill()
        var line = 1
        // Skip leading white space (and a UTF-8 byte order mark).
        if buffer.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { buffer.start = 3 }
        func skipSpace(_ b: inout ChunkBuffer, _ line: inout Int) throws {
            while true {
                while b.start < b.bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(b.bytes[b.start]) {
                    if b.bytes[b.start] == 0x0A { line += 1 }
                    b.start += 1
                }
                if b.start < b.bytes.count { return }
                if !(try b.fill()) { return }
            }
        }
        try skipSpace(&buffer, &line)
        // An empty file (or only white space) holds zero rows, as an empty JSON Lines or CSV file does.
        guard buffer.start < buffer.bytes.count else { return }
        if buffer.bytes[buffer.start] != UInt8(ascii: "[") {
            // One document: read it whole and parse it.
            while try buffer.fill() {}
            let value: Value
            do {
                value = try buffer.bytes.withUnsafeBufferPointer { p in
                    try JSONText.decode(UnsafeBufferPointer(rebasing: p[buffer.start...]))
                }
            } catch let error as JSONText.ParseError {
                let lineOfError = line + buffer.bytes[buffer.start..<min(buffer.bytes.count, buffer.start + error.offset)]
                    .reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                var message = error.message(offset: false)
                if error.reason == JSONText.trailingData, lineOfError > line {
                    // A value per line, in a file named .json: the commonest cause.
                    message += Self.jsonLinesHint
                }
                throw SluiceError(.badInput, message, file: path, line: lineOfError)
            }
            try await placing(file: path, line: line) { try await emit(JSONLinesReader.row(from: value)) }
            return
        }
        buffer.start += 1
        var records = 0
        var closed = false
        while !closed {
            try skipSpace(&buffer, &line)
            guard buffer.start < buffer.bytes.count else { break }
            if buffer.bytes[buffer.start] == UInt8(ascii: "]") && records == 0 {
                closed = true
                buffer.start += 1
                break
            }
            // Find the end of this element: depth 0 and a ',' or ']' outside any string.
            let elementLine = line
            var i = buffer.start
            var depth = 0
            var inString = false
            var escaped = false
            var end: Int?
            scan: while true {
                while i < buffer.bytes.count {
                    let c = buffer.bytes[i]
                    if inString {
                        if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
                        if c == 0x0A { line += 1 }
                    } else {
                        switch c {
                        case 0x22: inString = true
                        case 0x7B, 0x5B: depth += 1
                        case 0x7D, 0x5D:
                            if depth == 0 {
                                end = i
                                break scan
                            }
                            depth -= 1
                        case 0x2C where depth == 0:
                            end = i
                            break scan
                        case 0x0A: line += 1
                        default: break
                        }
                    }
                    i += 1
                }
                let offset = i - buffer.start
                guard try buffer.fill() else { break scan }
                i = buffer.start + offset
            }
            guard let end else {
                throw SluiceError(.badInput, "malformed JSON: the top-level list is not closed", file: path,
                                  line: elementLine)
            }
            do {
                if let json, buffer.bytes[buffer.start] == UInt8(ascii: "{") {
                    var last = end
                    while last > buffer.start, [0x20, 0x0A, 0x0D, 0x09].contains(buffer.bytes[last - 1]) { last -= 1 }
                    try await placing(file: path, line: elementLine) { try await json.write(jsonObject: buffer.bytes[buffer.start..<last]) }
                } else {
                    let value = try buffer.bytes.withUnsafeBufferPointer { p in
                        try JSONText.decode(UnsafeBufferPointer(rebasing: p[buffer.start..<end]))
                    }
                    try await placing(file: path, line: elementLine) { try await emit(JSONLinesReader.row(from: value)) }
                }
            } catch let error as JSONText.ParseError {
                throw SluiceError(.badInput, error.message("malformed JSON in record \(records + 1)", offset: false),
                                  file: path, line: elementLine)
            }
            records += 1
            closed = buffer.bytes[end] == UInt8(ascii: "]")
            buffer.start = end + 1
        }
        guard closed else {
            throw SluiceError(.badInput, "malformed JSON: the top-level list is not closed", file: path, line: line)
        }
        try skipSpace(&buffer, &line)
        if buffer.start < buffer.bytes.count {
            throw SluiceError(.badInput, "malformed JSON: unexpected data after the top-level list" + Self.jsonLinesHint, file: path, line: line)
        }
    }
}
