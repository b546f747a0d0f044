import PipelineCore

/// One JSON object per line (JSON Lines), keys in the order of the row's fields; null values are left
/// out, as the normalized rows leave them out. Numbers stay numbers (decimals as their exact text),
/// timestamps and dates are ISO 8601 strings, binary is base64, json columns are their JSON text.
final class JSONLinesFileWriter: RowFileWriter {
    let sink: ByteSink
    /// Timestamps as text, the date of the last day written kept.
    private let timestamps = TimestampWriter()
    /// `,"name":` of each column, escaped once, one after another: column `c`'s is `keyBytes[keyStart[c]..<keyStart[c + 1]]`
    /// (the first field of a row is written without its comma: one append a field, not two).
    private let keyBytes: [UInt8]
    private let keyStart: [Int]
    private let isJSON: [Bool]

    init(path: String, table: TableSchema, gzip: Bool) throws {
        sink = try ByteSink(path: path, gzip: gzip)
        var bytes: [UInt8] = []
        var starts = [0]
        for column in table.columns {
            bytes.append(0x2C)
            bytes.append(contentsOf: JSONText.encode(.text(column.name)).utf8)
            bytes.append(0x3A)
            starts.append(bytes.count)
        }
        keyBytes = bytes
        keyStart = starts
        isJSON = table.columns.map { $0.dataType == .json }
    }

    var approximateSize: Int { sink.approximateSize }

    func write(_ frame: UnsafeBufferPointer<UInt8>) throws {
        try keyBytes.withUnsafeBufferPointer { try write(frame, keys: $0) }
    }

    private func write(_ frame: UnsafeBufferPointer<UInt8>, keys: UnsafeBufferPointer<UInt8>) throws {
        var cursor = FlatRowCursor(frame)
        sink.append(0x7B)
        var first = true
        let columns = keyStart.count - 1
        while let (column, value) = cursor.next() {
            if case .null = value { continue }
            guard column < columns else { throw SluiceError(.package, "a row names column \(column) of \(columns)") }
            sink.append(UnsafeBufferPointer(rebasing: keys[(first ? keyStart[column] + 1 : keyStart[column])..<keyStart[column + 1]]))
            first = false
            switch value {
            case .null: sink.append("null")
            case .bool(let b): sink.append(b ? "true" : "false")
            case .bigint(let i): TextForms.appendInt(i, to: sink)
            case .double(let d): TextForms.appendDouble(d, to: sink, nonFinite: "null")
            case .scaledDouble(let m, let k): TextForms.appendScaled(m, decimals: Int(k & 0x7F), negative: k & 0x80 != 0, to: sink)
            case .decimal(let p): sink.append(p)
            case .text(let p):
                if isJSON[column] {
                    sink.append(p)
                } else if cursor.textIsPlain {
                    sink.append(0x22)
                    sink.append(p)
                    sink.append(0x22)
                } else {
                    sink.append(0x22)
                    TextForms.appendJSONEscaped(p, to: sink)
                    sink.append(0x22)
                }
            case .date(let d): sink.append("\"" + Timestamps.formatDate(d) + "\"")
            case .timestamp(let t):
                sink.append(0x22)
                TextForms.appendTimestamp(t, to: sink, with: timestamps)
                sink.append(0x22)
            case .binary(let p): sink.append("\"" + Base64.encode(Array(p)) + "\"")
            }
        }
        try cursor.checkEnd()
        sink.append(0x7D)
        sink.append(0x0A)
        try sink.flushIfFull()
    }

    func finish() throws { try sink.finish() }
}
