import CSnappy
import CZstd
import PipelineCore

/// How Parquet pages are compressed (the `CompressionCodec` of the format), through the system's
/// libsnappy and libzstd.
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
            var length = snappy_max_compressed_length(input.count)
            var output = [UInt8](repeating: 0, count: length)
            let status = input.withUnsafeBytes { i in
                output.withUnsafeMutableBytes { o in
                    snappy_compress(i.baseAddress!.assumingMemoryBound(to: CChar.self), i.count,
                                    o.baseAddress!.assumingMemoryBound(to: CChar.self), &length)
                }
            }
            guard status == SNAPPY_OK else { throw SluiceError(.io, "snappy could not compress a Parquet page") }
            output.removeSubrange(length...)
            return output
        case .zstd:
            var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
            let written = input.withUnsafeBytes { i in
                output.withUnsafeMutableBytes { o in ZSTD_compress(o.baseAddress, o.count, i.baseAddress, i.count, Self.zstdLevel) }
            }
            guard ZSTD_isError(written) == 0 else { throw SluiceError(.io, "zstd could not compress a Parquet page") }
            output.removeSubrange(written...)
            return output
        }
    }
}
