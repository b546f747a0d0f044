import PipelineCore

final class ParquetFileWriter: RowFileWriter {
    struct Options { var rowGroupSize = 131_072; var codec: ParquetCodec = .snappy }
    enum ParquetCodec: Int32 { case uncompressed = 0, snappy = 1, zstd = 6 }
    init(path: String, table: TableSchema, options: Options) throws {}
    var approximateSize: Int { 0 }
    func write(_ frame: UnsafeBufferPointer<UInt8>) throws {}
    func finish() throws {}
}
