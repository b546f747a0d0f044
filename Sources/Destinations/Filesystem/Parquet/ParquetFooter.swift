import PipelineCore

/// The file's `FileMetaData`: the schema (a root group of flat leaf columns with their logical types),
/// the row groups and their column chunks, in Thrift's compact protocol.
struct ParquetFooter {
    let table: TableSchema
    let columns: [ParquetColumn]
    let groups: [ParquetFileWriter.RowGroupInfo]
    let rows: Int
    let createdBy: String

    func bytes() -> [UInt8] {
        var t = ThriftCompactWriter()
        t.field(1, i32: 2)  // version
        t.beginList(2, of: .structure, count: columns.count + 1)
        t.beginElement()
        t.field(4, string: "schema")
        t.field(5, i32: Int32(columns.count))
        t.endStruct()
        for column in columns { schemaElement(column, into: &t) }
        t.field(3, i64: Int64(rows))
        t.beginList(4, of: .structure, count: groups.count)
        for group in groups {
            t.beginElement()
            t.beginList(1, of: .structure, count: group.chunks.count)
            for (k, chunk) in group.chunks.enumerated() { columnChunk(chunk, column: columns[k], into: &t) }
            t.field(2, i64: Int64(group.uncompressedSize))
            t.field(3, i64: Int64(group.rows))
            t.field(5, i64: Int64(group.offset))
            t.field(6, i64: Int64(group.compressedSize))
            t.endStruct()
        }
        t.field(6, string: createdBy)
        t.endStruct()
        return t.bytes
    }

    /// A leaf `SchemaElement`: physical type, repetition, name, converted type and logical type.
    private func schemaElement(_ column: ParquetColumn, into t: inout ThriftCompactWriter) {
        t.beginElement()
        t.field(1, i32: column.physical.rawValue)
        if column.physical == .fixedLenByteArray { t.field(2, i32: 16) }
        t.field(3, i32: column.optional ? 1 : 0)  // OPTIONAL : REQUIRED
        t.field(4, string: column.name)
        // Converted types (the older annotation) beside logical types, for older readers.
        switch column.dataType {
        case .text: t.field(6, i32: 0)  // UTF8
        case .json: t.field(6, i32: 19)  // JSON
        case .date: t.field(6, i32: 6)  // DATE
        case .timestamp: t.field(6, i32: 10)  // TIMESTAMP_MICROS
        case .decimal:
            t.field(6, i32: 5)  // DECIMAL
            t.field(7, i32: Int32(ParquetColumn.decimalScale))
            t.field(8, i32: Int32(ParquetColumn.decimalPrecision))
        default: break
        }
        switch column.dataType {
        case .text:
            t.beginStruct(10)
            t.beginStruct(1)  // STRING
            t.endStruct()
            t.endStruct()
        case .json:
            t.beginStruct(10)
            t.beginStruct(12)  // JSON
            t.endStruct()
            t.endStruct()
        case .date:
            t.beginStruct(10)
            t.beginStruct(6)  // DATE
            t.endStruct()
            t.endStruct()
        case .timestamp:
            t.beginStruct(10)
            t.beginStruct(8)  // TIMESTAMP
            t.field(1, bool: true)  // isAdjustedToUTC
            t.beginStruct(2)  // unit
            t.beginStruct(2)  // MICROS
            t.endStruct()
            t.endStruct()
            t.endStruct()
            t.endStruct()
        case .decimal:
            t.beginStruct(10)
            t.beginStruct(5)  // DECIMAL
            t.field(1, i32: Int32(ParquetColumn.decimalScale))
            t.field(2, i32: Int32(ParquetColumn.decimalPrecision))
            t.endStruct()
            t.endStruct()
        default: break
        }
        t.endStruct()
    }

    /// A `ColumnChunk` with its `ColumnMetaData` (and the null count in its statistics).
    private func columnChunk(_ chunk: ParquetFileWriter.ChunkInfo, column: ParquetColumn, into t: inout ThriftCompactWriter) {
        t.beginElement()
        t.field(2, i64: Int64(chunk.dictionaryPageOffset ?? chunk.dataPageOffset))
        t.beginStruct(3)
        t.field(1, i32: column.physical.rawValue)
        t.beginList(2, of: .i32, count: chunk.encodings.count)
        for e in chunk.encodings { t.element(i32: e) }
        t.beginList(3, of: .binary, count: 1)
        t.element(string: column.name)
        t.field(4, i32: chunk.codec.rawValue)
        t.field(5, i64: Int64(chunk.values))
        t.field(6, i64: Int64(chunk.uncompressedSize))
        t.field(7, i64: Int64(chunk.compressedSize))
        t.field(9, i64: Int64(chunk.dataPageOffset))
        if let offset = chunk.dictionaryPageOffset { t.field(11, i64: Int64(offset)) }
        t.beginStruct(12)  // statistics
        t.field(3, i64: Int64(chunk.nulls))
        t.endStruct()
        t.endStruct()
        t.endStruct()
    }
}
