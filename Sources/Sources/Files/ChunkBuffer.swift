import PipelineCore

/// A sliding window over a ``ByteStream``: readers consume from the front, ``fill()`` appends the
/// next chunk after dropping what was consumed. Memory stays at one chunk plus the longest record.
struct ChunkBuffer {
    let stream: any ByteStream
    var bytes: [UInt8] = []
    /// First unconsumed byte.
    var start = 0
    private(set) var atEnd = false
    let chunkSize: Int
    /// Where each read lands before it is appended (one allocation, reused).
    private var chunk: [UInt8]

    init(_ stream: any ByteStream, chunkSize: Int = 1 << 20) {
        self.stream = stream
        self.chunkSize = chunkSize
        chunk = [UInt8](repeating: 0, count: chunkSize)
        bytes.reserveCapacity(chunkSize * 2)
    }

    /// Appends the next chunk; returns `false` at the end of the stream.
    mutating func fill() throws -> Bool {
        if atEnd { return false }
        if start > 0 {
            bytes.removeSubrange(0..<start)
            start = 0
        }
        let n = try chunk.withUnsafeMutableBytes { p throws in try stream.read(into: p) }
        chunk.withUnsafeBufferPointer { p in bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[0..<n])) }
        if n == 0 { atEnd = true }
        return n > 0
    }
}
