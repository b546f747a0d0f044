#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PipelineCore

/// The system's libzstd, opened when a zstd-compressed Parquet file is first asked for, so that building
/// Sluice needs no zstd headers (Debian's `libzstd1` is on nearly every machine; `libzstd-dev` is not).
///
/// Uses three functions of zstd's stable API: `ZSTD_compressBound`, `ZSTD_compress` and `ZSTD_isError`.
struct Zstd: @unchecked Sendable {
    private typealias Bound = @convention(c) (Int) -> Int
    private typealias Compress = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int, Int32) -> Int
    private typealias IsError = @convention(c) (Int) -> UInt32

    private let bound: Bound
    private let compressFunction: Compress
    private let isError: IsError

    /// The library, or the error that says it is missing and what to do.
    static let system: Result<Zstd, SluiceError> = {
        let names = ["libzstd.so.1", "libzstd.so", "libzstd.1.dylib", "libzstd.dylib"]
        guard let handle = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first,
              let bound = dlsym(handle, "ZSTD_compressBound"), let compress = dlsym(handle, "ZSTD_compress"),
              let isError = dlsym(handle, "ZSTD_isError")
        else {
            return .failure(SluiceError(.configuration, "compression = \"zstd\" needs the system's libzstd, which is not installed "
                    + "(Debian: apt-get install libzstd1); or use compression = \"snappy\" (the default) or \"none\""))
        }
        return .success(Zstd(bound: unsafeBitCast(bound, to: Bound.self), compressFunction: unsafeBitCast(compress, to: Compress.self),
                             isError: unsafeBitCast(isError, to: IsError.self)))
    }()

    /// `input` as one zstd frame at `level`.
    func compress(_ input: [UInt8], level: Int32) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: bound(input.count))
        let written = input.withUnsafeBytes { i in
            output.withUnsafeMutableBytes { o in compressFunction(o.baseAddress, o.count, i.baseAddress, i.count, level) }
        }
        guard isError(written) == 0 else { throw SluiceError(.io, "zstd could not compress a Parquet page") }
        output.removeSubrange(written...)
        return output
    }
}
