import CZlib
import PipelineCore

/// Counts the rows of a file the filesystem destination wrote, by its name's extension, for `sluice show`:
///
/// - `.jsonl`, `.jsonl.gz`: one row a line (JSON text holds no raw line end);
/// - `.csv`, `.csv.gz`: records, minus the header, a line end inside a quoted field not ending one (RFC 4180);
/// - `.parquet`: `num_rows` of the footer's `FileMetaData` (field 3), without reading any page.
///
/// A file of another kind, or one whose bytes are not what its name says, is an error naming it.
public enum FileRowCounter {
    /// The rows of a file whose bytes are `bytes` and whose name (its path, for errors) is `name`.
    public static func count(_ bytes: [UInt8], name: String) throws -> Int {
        let gzip = name.hasSuffix(".gz")
        let base = gzip ? String(name.dropLast(3)) : name
        if base.hasSuffix(".parquet") { return try parquetRows(bytes, name: name) }
        let csv = base.hasSuffix(".csv")
        guard csv || base.hasSuffix(".jsonl") else {
            throw SluiceError(.destination, "cannot count the rows of this file: not .jsonl, .csv or .parquet (gzipped or not)", file: name)
        }
        var counter = LineCounter(quoted: csv)
        if gzip { try inflate(bytes, name: name) { counter.add($0) } } else { bytes.withUnsafeBufferPointer { counter.add($0) } }
        return max(0, counter.lines - (csv ? 1 : 0))
    }

    /// Line ends outside quotes (when `quoted`), plus a last line without one.
    struct LineCounter {
        let quoted: Bool
        var ends = 0
        var inQuotes = false
        var pending = false

        init(quoted: Bool) { self.quoted = quoted }

        mutating func add(_ chunk: UnsafeBufferPointer<UInt8>) {
            for byte in chunk {
                if quoted && byte == 0x22 { inQuotes.toggle() }  // "" inside a field toggles twice
                if byte == 0x0A && !inQuotes {
                    ends += 1
                    pending = false
                } else {
                    pending = true
                }
            }
        }

        var lines: Int { ends + (pending ? 1 : 0) }
    }

    /// Inflates gzip `bytes` (members one after another included), handing over the output a chunk at a time.
    static func inflate(_ bytes: [UInt8], name: String, _ take: (UnsafeBufferPointer<UInt8>) -> Void) throws {
        var stream = z_stream()
        guard czlib_inflate_init2(&stream, 15 + 32) == Z_OK else { throw SluiceError(.io, "cannot start zlib", file: name) }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 1 << 16)
        try bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while true {
                let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    take(UnsafeBufferPointer(rebasing: out[..<(out.count - Int(stream.avail_out))]))
                    return status
                }
                if status == Z_STREAM_END {
                    if stream.avail_in == 0 { return }
                    inflateReset(&stream)
                } else if status != Z_OK {
                    throw SluiceError(.destination, "not valid gzip data (zlib status \(status))", file: name)
                }
            }
        }
    }

    /// `num_rows` of a Parquet file's footer: `<FileMetaData><length: 4 bytes LE>PAR1` at its end.
    static func parquetRows(_ bytes: [UInt8], name: String) throws -> Int {
        let bad = SluiceError(.destination, "not a readable Parquet file (its footer is missing or cut short)", file: name)
        guard bytes.count >= 12, bytes.suffix(4) == Array("PAR1".utf8) else { throw bad }
        let n = bytes.count
        let length = Int(bytes[n - 8]) | Int(bytes[n - 7]) << 8 | Int(bytes[n - 6]) << 16 | Int(bytes[n - 5]) << 24
        guard length > 0, length <= n - 12 else { throw bad }
        var reader = ThriftCompactReader(bytes: bytes[(n - 8 - length)..<(n - 8)])
        guard let rows = try reader.i64Field(3), rows >= 0 else { throw bad }
        return Int(rows)
    }
}

/// Reads one top-level integer field of a Thrift compact-protocol struct, skipping the fields before it
/// (see ``ThriftCompactWriter`` for the encoding). Throws on bytes that end early.
struct ThriftCompactReader {
    struct Truncated: Error {}
    let bytes: ArraySlice<UInt8>
    var at: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        at = bytes.startIndex
    }

    mutating func byte() throws -> UInt8 {
        guard at < bytes.endIndex else { throw Truncated() }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            let b = try byte()
            value |= UInt64(b & 0x7F) << UInt64(shift)
            if b < 0x80 { return value }
        }
        throw Truncated()
    }

    mutating func zigzag() throws -> Int64 {
        ZigZag.decode(try varint())
    }

    /// The value of field `id` (an i64 or i32) of the struct at the reader's place, or `nil` if it has none.
    mutating func i64Field(_ id: Int16) throws -> Int64? {
        var last: Int16 = 0
        while true {
            let header = try byte()
            let type = header & 0x0F
            if type == 0 { return nil }
            let delta = Int16(header >> 4)
            let field = delta == 0 ? Int16(truncatingIfNeeded: try zigzag()) : last + delta
            last = field
            if field == id, type == 5 || type == 6 { return try zigzag() }
            try skip(type)
        }
    }

    mutating func skip(_ type: UInt8) throws {
        switch type {
        case 1, 2: return  // a boolean field's value is its type
        case 3: _ = try byte()
        case 4, 5, 6: _ = try varint()
        case 7: for _ in 0..<8 { _ = try byte() }
        case 8:
            let length = Int(try varint())
            guard length <= bytes.endIndex - at else { throw Truncated() }
            at += length
        case 9, 10:
            let header = try byte()
            let size = header >> 4 == 15 ? Int(try varint()) : Int(header >> 4)
            for _ in 0..<size { try skipElement(header & 0x0F) }
        case 11:
            let size = Int(try varint())
            guard size > 0 else { return }
            let types = try byte()
            for _ in 0..<size {
                try skipElement(types >> 4)
                try skipElement(types & 0x0F)
            }
        case 12:
            while true {
                let header = try byte()
                if header & 0x0F == 0 { return }
                if header >> 4 == 0 { _ = try varint() }
                try skip(header & 0x0F)
            }
        default: throw Truncated()
        }
    }

    /// A list's, set's or map's element: a boolean there is one byte.
    mutating func skipElement(_ type: UInt8) throws {
        if type == 1 || type == 2 { _ = try byte() } else { try skip(type) }
    }
}
