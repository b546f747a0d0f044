import PipelineCore

/// How Parquet pages are compressed (the `CompressionCodec` of the format): snappy by our own ``Snappy``,
/// zstd through the system's libzstd (``Zstd``).
enum ParquetCodec: Int32, Sendable {
    case uncompressed = 0
    case snappy = 1
    case zstd = 6

    /// pyarrow's default ZSTD level.
    static let zstdLevel: Int32 = 1

    /// `input` compressed (`input` itself when uncompressed).
    func compressed(_ input: [UInt8]) throws -> [UInt8] {
        switch self {
        case .uncompressed:
            return input
        case .snappy:
            return Snappy.compress(input)
        case .zstd:
            return try Zstd.system.get().compress(input, level: Self.zstdLevel)
        }
    }
}
