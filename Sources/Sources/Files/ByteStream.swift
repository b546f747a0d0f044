import CZlib
import PipelineCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A source of bytes read in chunks: a plain file, or a gzip file inflated on the fly.
public protocol ByteStream: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Opens `path` for streaming, inflating it when its name ends in `.gz` (in any case, as ``FileFormat/infer(path:)``
/// reads the name).
public func openByteStream(path: String) throws -> any ByteStream {
    let file = try FileByteStream(path: path)
    return path.lowercased().hasSuffix(".gz") ? GzipByteStream(file) : file
}

/// A file read with `read(2)`: a plain file, or a pipe or device that may block.
///
/// Reads notice cancellation of the calling task (`CancellationError`): a plain file between chunks, a
/// pipe while it waits for data (polled every 100 ms), so a source that never ends can still be stopped.
public final class FileByteStream: ByteStream {
    let fd: Int32
    public let path: String
    /// Not a regular file: data may be slow to come, or never come.
    let mayBlock: Bool
    /// The device and inode of a regular file (`nil` for a pipe or a device): a byte read is at its offset
    /// in this file.
    let identity: (device: UInt64, inode: UInt64)?

    public init(path: String) throws {
        fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else {
            throw SluiceError(.badInput, "cannot open: \(String(cString: strerror(errno)))", file: path)
        }
        // Opened without blocking (a FIFO's open waits for a writer otherwise), then read blocking, after
        // poll says there is data or the writer left.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var info = stat()
        let known = fstat(fd, &info) == 0
        let regular = known && (info.st_mode & S_IFMT) == S_IFREG
        mayBlock = known && !regular
        identity = regular ? (UInt64(info.st_dev), UInt64(info.st_ino)) : nil
        self.path = path
    }

    deinit { close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if Task.isCancelled { throw CancellationError() }
        while mayBlock {
            var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pending, 1, 100)
            if ready > 0 { break }
            if ready < 0, errno != EINTR {
                throw SluiceError(.io, "poll failed: \(String(cString: strerror(errno)))", file: path)
            }
            if Task.isCancelled { throw CancellationError() }
        }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw SluiceError(.io, "read failed: \(String(cString: strerror(errno)))", file: path)
        }
    }
}

/// Inflates a gzip (or zlib) stream, including files of several concatenated gzip members.
public final class GzipByteStream: ByteStream {
    private let source: FileByteStream
    private var stream = z_stream()
    private let capacity = 256 * 1024
    private let input: UnsafeMutablePointer<UInt8>
    private var inputEnd = false
    private var finished = false

    public init(_ source: FileByteStream) {
        self.source = source
        input = .allocate(capacity: capacity)
        _ = czlib_inflate_init2(&stream, 15 + 32)
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    private func refill() throws {
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: input, count: capacity))
        if n == 0 { inputEnd = true }
        stream.next_in = input
        stream.avail_in = UInt32(n)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var produced = 0
        while produced == 0 && !finished {
            if stream.avail_in == 0 && !inputEnd { try refill() }
            stream.next_out = out + produced
            stream.avail_out = UInt32(buffer.count - produced)
            let before = stream.avail_out
            let status = inflate(&stream, Z_NO_FLUSH)
            produced += Int(before - stream.avail_out)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                // Another gzip member may follow (concatenated files are valid gzip).
                if stream.avail_in == 0 && !inputEnd { try refill() }
                if stream.avail_in == 0 {
                    finished = true
                } else {
                    inflateReset(&stream)
                }
            case Z_BUF_ERROR:
                if inputEnd && stream.avail_in == 0 {
                    throw SluiceError(.badInput, "gzip data is truncated", file: source.path)
                }
            default:
                let msg = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                throw SluiceError(.badInput, "gzip data is corrupt: \(msg)", file: source.path)
            }
        }
        return produced
    }
}
