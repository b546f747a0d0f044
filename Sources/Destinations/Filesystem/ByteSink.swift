import CZlib
import PipelineCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes to a local file through one reusable buffer, optionally gzip-compressed on the way (zlib).
///
/// ``bytesWritten`` counts what reached the file, so rotation by bytes measures the file as stored.
final class ByteSink {
    let path: String
    private let handle: UnsafeMutablePointer<FILE>
    /// Bytes appended by the format writer, not yet written (or deflated).
    var buffer: [UInt8] = []
    /// The deflate stream, at a fixed address (zlib's state points back at it).
    private var stream: UnsafeMutablePointer<z_stream>?
    private var out: [UInt8] = []
    private(set) var bytesWritten = 0
    private static let flushAt = 1 << 20

    init(path: String, gzip: Bool) throws {
        guard let h = fopen(path, "wb") else {
            throw SluiceError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        handle = h
        self.path = path
        buffer.reserveCapacity(Self.flushAt + 4096)
        if gzip {
            let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            s.initialize(to: z_stream())
            guard czlib_deflate_init2(s, 6, 15 + 16) == Z_OK else {
                s.deallocate()
                fclose(h)
                throw SluiceError(.io, "cannot start gzip for \(path)")
            }
            stream = s
            out = [UInt8](repeating: 0, count: 1 << 18)
        }
    }

    deinit {
        if let stream {
            deflateEnd(stream)
            stream.deallocate()
        }
        fclose(handle)
    }

    /// Bytes buffered plus written: what rotation by size compares (compressed output lags behind by the buffer).
    var approximateSize: Int { bytesWritten + (stream == nil ? buffer.count : buffer.count / 4) }

    @inline(__always) func append(_ byte: UInt8) { buffer.append(byte) }
    @inline(__always) func append(_ bytes: UnsafeBufferPointer<UInt8>) { buffer.append(contentsOf: bytes) }
    @inline(__always) func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }
    func append(_ text: String) { buffer.append(contentsOf: text.utf8) }

    /// Writes the buffer out when it is large; call between rows.
    @inline(__always) func flushIfFull() throws {
        if buffer.count >= Self.flushAt { try flush(final: false) }
    }

    private func writeRaw(_ p: UnsafeRawPointer, _ count: Int) throws {
        guard count > 0 else { return }
        guard fwrite(p, 1, count, handle) == count else {
            throw SluiceError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        bytesWritten += count
    }

    func flush(final: Bool) throws {
        if stream == nil {
            try buffer.withUnsafeBytes { p in try writeRaw(p.baseAddress!, p.count) }
            buffer.removeAll(keepingCapacity: true)
            return
        }
        guard let stream else { return }
        let count = buffer.count
        var failed: (any Error)?
        buffer.withUnsafeMutableBytes { input in
            out.withUnsafeMutableBytes { output in
                stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(count)
                while true {
                    stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = uInt(output.count)
                    let status = deflate(stream, final ? Z_FINISH : Z_NO_FLUSH)
                    let produced = output.count - Int(stream.pointee.avail_out)
                    do { try writeRaw(output.baseAddress!, produced) } catch { failed = error; return }
                    if status == Z_STREAM_END { return }
                    if status != Z_OK && status != Z_BUF_ERROR {
                        failed = SluiceError(.io, "gzip failed for \(path) (zlib status \(status))")
                        return
                    }
                    if !final && stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return }
                }
            }
        }
        if let failed { throw failed }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes everything, ends the gzip stream, and closes the file's buffered output.
    func finish() throws {
        try flush(final: true)
        guard fflush(handle) == 0 else { throw SluiceError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}
