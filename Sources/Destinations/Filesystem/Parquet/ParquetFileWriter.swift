import PipelineCore

/// Writes one table's rows as a Parquet file, following the Apache Parquet format specification:
/// `PAR1`, row groups of column chunks (an optional dictionary page and one version-1 data page each,
/// compressed by the codec), then the footer (`FileMetaData` in Thrift's compact protocol), its length
/// and `PAR1`. Flat columns only (nested data is in child tables, as dlt writes it); a column that may be
/// null is OPTIONAL with definition levels.
///
/// Memory holds one row group: it ends at ``Options/rowGroupSize`` rows or once its rows' values reach
/// ``Options/rowGroupBytes`` as the column buffers hold them (9 bytes a number or timestamp with its
/// definition level, a text's length and 5), checked after every row. Not as the rows' normalized frames
/// hold them: those keep a small integer in a byte or two, so wide integer rows would fill far more memory.
final class ParquetFileWriter: RowFileWriter {
    struct Options {
        var rowGroupSize = 131_072
        var rowGroupBytes = 64 << 20
        var codec: ParquetCodec = .snappy
        var createdBy = "sluice"
    }

    /// What the footer says of one written column chunk.
    struct ChunkInfo {
        var encodings: [Int32]
        var codec: ParquetCodec
        var values: Int
        var nulls: Int
        var uncompressedSize: Int
        var compressedSize: Int
        var dataPageOffset: Int
        var dictionaryPageOffset: Int?
    }

    struct RowGroupInfo {
        var chunks: [ChunkInfo]
        var rows: Int
        var uncompressedSize: Int
        var offset: Int
        var compressedSize: Int
    }

    let sink: ByteSink
    let table: TableSchema
    let options: Options
    private var columns: [ParquetColumn]
    /// The row (+1) that last set each column, to find the columns a row leaves null.
    private var lastSet: [Int]
    private var rowsInGroup = 0
    /// Bytes of the row group's frames: the size of its values, before dictionaries and compression.
    private var bytesInGroup = 0
    private var totalRows = 0
    private var groups: [RowGroupInfo] = []

    init(path: String, table: TableSchema, options: Options) throws {
        sink = try ByteSink(path: path, gzip: false)
        self.table = table
        self.options = options
        columns = table.columns.map { ParquetColumn($0, table: table.name) }
        lastSet = Array(repeating: 0, count: table.columns.count)
        sink.append(Array("PAR1".utf8))
    }

    var approximateSize: Int { sink.bytesWritten + sink.bufferedCount + columns.reduce(0) { $0 + $1.bufferedBytes } / 2 }

    func write(_ frame: UnsafeBufferPointer<UInt8>) throws {
        totalRows += 1
        let mark = totalRows
        var cursor = FlatRowCursor(frame)
        var bytes = 0
        // Through pointers: the columns are structs mutated in place (no reference counting per value).
        try columns.withUnsafeMutableBufferPointer { columns throws in
            try lastSet.withUnsafeMutableBufferPointer { lastSet throws in
                while let (c, value) = cursor.next() {
                    if case .null = value { continue }
                    guard c < columns.count else {
                        throw SluiceError(.package, "a row names column \(c) of \(columns.count)", table: table.name)
                    }
                    try columns[c].append(value)
                    lastSet[c] = mark
                    // Its PLAIN bytes (a byte array's with their length) and its definition level.
                    switch value {
                    case .text(let p), .binary(let p): bytes += p.count + 5
                    case .decimal: bytes += 17
                    case .bool: bytes += 2
                    default: bytes += 9
                    }
                }
                try cursor.checkEnd()
                for c in 0..<columns.count where lastSet[c] != mark { try columns[c].appendNull() }
            }
        }
        rowsInGroup += 1
        bytesInGroup += bytes
        if rowsInGroup >= options.rowGroupSize || bytesInGroup >= options.rowGroupBytes { try flushRowGroup() }
    }

    func finish() throws {
        if rowsInGroup > 0 { try flushRowGroup() }
        let footer = ParquetFooter(table: table, columns: columns, groups: groups, rows: totalRows, createdBy: options.createdBy).bytes()
        sink.append(footer)
        withUnsafeBytes(of: UInt32(footer.count).littleEndian) { sink.append(Array($0)) }
        sink.append(Array("PAR1".utf8))
        try sink.finish()
    }

    private var position: Int { sink.bytesWritten + sink.bufferedCount }

    private func flushRowGroup() throws {
        let start = position
        var chunks: [ChunkInfo] = []
        var uncompressedTotal = 0
        for k in columns.indices {
            let info = try writeChunk(columns[k])
            uncompressedTotal += info.uncompressedSize
            chunks.append(info)
            columns[k].reset()  // after writeChunk: no copy of the column's buffers is alive, so they are reused
        }
        groups.append(RowGroupInfo(chunks: chunks, rows: rowsInGroup, uncompressedSize: uncompressedTotal, offset: start,
                                   compressedSize: position - start))
        rowsInGroup = 0
        bytesInGroup = 0
        try sink.flush(final: false)
    }

    /// Writes one column's chunk of the row group: its dictionary page (if any) and its data page.
    private func writeChunk(_ column: ParquetColumn) throws -> ChunkInfo {
        var info = ChunkInfo(encodings: [], codec: options.codec, values: column.rows, nulls: column.nulls,
                             uncompressedSize: 0, compressedSize: 0, dataPageOffset: 0, dictionaryPageOffset: nil)
        if column.isDictionaryEncoded {
            info.dictionaryPageOffset = position
            let page = column.dictionaryPage()
            let (u, c) = try writePage(page, header: { t, u, c in
                t.field(1, i32: 2)  // DICTIONARY_PAGE
                t.field(2, i32: Int32(u))
                t.field(3, i32: Int32(c))
                t.beginStruct(7)
                t.field(1, i32: Int32(column.dictionaryCount))
                t.field(2, i32: 0)  // PLAIN
                t.endStruct()
            })
            info.uncompressedSize += u
            info.compressedSize += c
        }
        info.dataPageOffset = position
        let encoding: Int32 = column.isDictionaryEncoded ? 8 : 0  // RLE_DICTIONARY : PLAIN
        let (u, c) = try writePage(column.dataPage(), header: { t, u, c in
            t.field(1, i32: 0)  // DATA_PAGE
            t.field(2, i32: Int32(u))
            t.field(3, i32: Int32(c))
            t.beginStruct(5)
            t.field(1, i32: Int32(column.rows))
            t.field(2, i32: encoding)
            t.field(3, i32: 3)  // definition levels: RLE
            t.field(4, i32: 3)  // repetition levels: RLE
            t.endStruct()
        })
        info.uncompressedSize += u
        info.compressedSize += c
        info.encodings = column.isDictionaryEncoded ? [0, 3, 8] : [0, 3]
        return info
    }

    /// Writes a page header and its (compressed) body; returns the uncompressed and stored sizes, headers included.
    private func writePage(_ body: [UInt8], header: (inout ThriftCompactWriter, Int, Int) -> Void) throws -> (Int, Int) {
        guard body.count < Int(Int32.max) else {
            throw SluiceError(.badInput, "a Parquet page would exceed 2 GiB; lower row_group_size", table: table.name)
        }
        let stored = try options.codec.compressed(body)
        var t = ThriftCompactWriter()
        header(&t, body.count, stored.count)
        t.endStruct()
        sink.append(t.bytes)
        sink.append(stored)
        try sink.flushIfFull()
        return (t.bytes.count + body.count, t.bytes.count + stored.count)
    }
}
