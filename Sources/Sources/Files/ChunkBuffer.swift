import PipelineCore

/// A sliding window over a ``ByteStream``: readers consume from the front, ``fill()`` appends the
/// next chunk after dropping what was consumed. Memory stays at one chunk plus the longest record.
struct ChunkBuffer {
    let stream: any ByteStream
    var bytes: [UInt8] = []
    /// First unconsumed byte.
    var start = 0
    /// The stream's offset of `bytes[0]` (the bytes read before it and dropped).
    private(set) var offset = 0
    private(set) var atEnd = false
    let chunkSize: Int

    init(_ stream: any ByteStream, chunkSize: Int = 1 << 20) {
        self.stream = stream
        self.chunkSize = chunkSize
    }

    /// Appends the next chunk; returns `false` at the end of the stream. The chunk is read straight into
    /// a new buffer after the unconsumed bytes (no second copy of every byte through a read buffer).
    mutating func fill() throws -> Bool {
        if atEnd { return false }
        let keep = bytes.count - start
        var failure: (any Error)?
        let next = [UInt8](unsafeUninitializedCapacity: keep + chunkSize) { buffer, count in
            bytes.withUnsafeBufferPointer { old in
                if keep > 0 { buffer.baseAddress!.initialize(from: old.baseAddress! + start, count: keep) }
            }
            count = keep
            do {
                count += try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[keep...]))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        let n = next.count - keep
        offset += bytes.count - keep
        bytes = next
        start = 0
        if n == 0 { atEnd = true }
        return n > 0
    }
}
