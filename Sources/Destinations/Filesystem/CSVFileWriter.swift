import PipelineCore

/// CSV as RFC 4180 reads it: a header row of the table's columns, then one record per row with every
/// column in order. A field holding the delimiter, a quote, a line end, or nothing at all (the empty
/// string) is quoted, quotes doubled; a null is an empty unquoted field. Records end with `\n`.
final class CSVFileWriter: RowFileWriter {
    let sink: ByteSink
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
        var needsQuotes = p.isEmpty
        if !needsQuotes {
            for b in p where b == delimiter || b == 0x22 || b == 0x0A || b == 0x0D {
                needsQuotes = true
                break
            }
        }
        guard needsQuotes else {
            sink.append(p)
            return
        }
        sink.append(0x22)
        var runStart = 0
        for i in 0..<p.count where p[i] == 0x22 {
            sink.append(UnsafeBufferPointer(rebasing: p[runStart...i]))
            sink.append(0x22)
            runStart = i + 1
        }
        if runStart < p.count { sink.append(UnsafeBufferPointer(rebasing: p[runStart...])) }
        sink.append(0x22)
    }

    func write(_ frame: UnsafeBufferPointer<UInt8>) throws {
        for k in slots.indices { slots[k] = .null }
        var cursor = FlatRowCursor(frame)
        while let (column, value) = cursor.next() {
            guard column < slots.count else { throw SluiceError(.package, "a row names column \(column) of \(slots.count)") }
            slots[column] = value
        }
        for k in slots.indices {
            if k > 0 { sink.append(delimiter) }
            switch slots[k] {
            case .null: break
            case .bool(let b): sink.append(b ? "true" : "false")
            case .bigint(let i): TextForms.appendInt(i, to: sink)
            case .double(let d): TextForms.appendDouble(d, to: sink, nonFinite: "")
            case .decimal(let p): sink.append(p)
            case .text(let p): appendField(p)
            case .date(let d): sink.append(Timestamps.formatDate(d))
            case .timestamp(let t): TextForms.appendTimestamp(t, to: sink)
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
