import PipelineCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CSV as RFC 4180 reads it: a header row of the table's columns, then one record per row with every
/// column in order. A field holding the delimiter, a quote, a line end, or nothing at all (the empty
/// string) is quoted, quotes doubled; a null is an empty unquoted field. Records end with `\n`.
final class CSVFileWriter: RowFileWriter {
    let sink: ByteSink
    /// Timestamps as text, the date of the last day written kept.
    private let timestamps = TimestampWriter()
    private let delimiter: UInt8
    private var slots: [FieldPayload]

    init(path: String, table: TableSchema, gzip: Bool, delimiter: UInt8 = 0x2C) throws {
        sink = try ByteSink(path: path, gzip: gzip)
        self.delimiter = delimiter
        slots = Array(repeating: .null, count: table.columns.count)
        for (k, column) in table.columns.enumerated() {
            if k > 0 { sink.append(delimiter) }
            var name = column.name
            name.withUTF8 { appendField($0) }
        }
        sink.append(0x0A)
    }

    var approximateSize: Int { sink.approximateSize }

    private func appendField(_ p: UnsafeBufferPointer<UInt8>) {
        guard p.isEmpty || needsQuotes(p) else {
            sink.append(p)
            return
        }
        sink.append(0x22)
        var runStart = 0
        while runStart < p.count, let hit = memchr(p.baseAddress! + runStart, 0x22, p.count - runStart) {
            let i = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - p.baseAddress!
            sink.append(UnsafeBufferPointer(rebasing: p[runStart...i]))
            sink.append(0x22)
            runStart = i + 1
        }
        if runStart < p.count { sink.append(UnsafeBufferPointer(rebasing: p[runStart...])) }
        sink.append(0x22)
    }

    /// Whether `p` holds the delimiter, a quote or a line end: eight bytes at a time (a zero byte of the
    /// word XOR each of them, as in Anderson's "Bit Twiddling Hacks"), then byte by byte.
    private func needsQuotes(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let d = UInt64(delimiter) &* ones
        @inline(__always) func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        var j = 0
        if let base = p.baseAddress {
            while j + 8 <= p.count {
                let w = UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self)
                if hasZeroByte(w ^ d) || hasZeroByte(w ^ (0x22 &* ones)) || hasZeroByte(w ^ (0x0A &* ones))
                    || hasZeroByte(w ^ (0x0D &* ones)) { return true }
                j += 8
            }
        }
        while j < p.count {
            let b = p[j]
            if b == delimiter || b == 0x22 || b == 0x0A || b == 0x0D { return true }
            j += 1
        }
        return false
    }

    func write(_ frame: UnsafeBufferPointer<UInt8>) throws {
        for k in slots.indices { slots[k] = .null }
        var cursor = FlatRowCursor(frame)
        while let (column, value) = cursor.next() {
            guard column < slots.count else { throw SluiceError(.package, "a row names column \(column) of \(slots.count)") }
            slots[column] = value
        }
        try cursor.checkEnd()
        for k in slots.indices {
            if k > 0 { sink.append(delimiter) }
            switch slots[k] {
            case .null: break
            case .bool(let b): sink.append(b ? "true" : "false")
            case .bigint(let i): TextForms.appendInt(i, to: sink)
            case .double(let d): TextForms.appendDouble(d, to: sink, nonFinite: "")
            case .scaledDouble(let m, let k): TextForms.appendScaled(m, decimals: Int(k & 0x7F), negative: k & 0x80 != 0, to: sink)
            case .decimal(let p): sink.append(p)
            case .text(let p): appendField(p)
            case .date(let d): sink.append(Timestamps.formatDate(d))
            case .timestamp(let t): TextForms.appendTimestamp(t, to: sink, with: timestamps)
            case .binary(let p):
                var text = Base64.encode(Array(p))
                text.withUTF8 { appendField($0) }
            }
        }
        sink.append(0x0A)
        try sink.flushIfFull()
    }

    func finish() throws { try sink.finish() }
}
