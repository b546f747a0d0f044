import Synchronization

/// Buffers of local files the extract stage read, lent to the package reader of the same run (the
/// overlapped normalize stage), so that lines a package holds by link (``PackageFile/Tag/linkedJSONLines``)
/// are not read from the file a second time (5% of the CPU of a JSON Lines load).
///
/// At most ``capacity`` buffers are held: the extract stage waits for room (``waitForRoom()``) before it
/// reads more, so memory stays bounded however far ahead of the reader it is. The reader reads lines it
/// does not find here from the file. ``close()`` (the run stopped, or the reader is done) lets every
/// buffer go and every wait end.
public final class SharedChunks: Sendable {
    struct Chunk {
        var device: UInt64, inode: UInt64
        /// The file offset of `bytes[0]`.
        var offset: Int
        var bytes: [UInt8]
        func holds(_ range: Range<Int>, device: UInt64, inode: UInt64) -> Bool {
            self.device == device && self.inode == inode && offset <= range.lowerBound && range.upperBound <= offset + bytes.count
        }
    }
    struct State: ~Copyable {
        var chunks: [Chunk] = []
        /// Buffers the reader is done with, for the extract stage to read into again (no fresh pages).
        var done: [[UInt8]] = []
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
    }
    private let state = Mutex(State())
    /// How many buffers are held at most.
    public let capacity: Int
    /// Buffers larger than this many bytes (one holding a line of many megabytes) are not kept, so memory
    /// held stays near `2 * capacity` read buffers: their lines are read from the file.
    public let largest: Int

    public init(capacity: Int = 4, largest: Int = 4 << 20) {
        self.capacity = capacity
        self.largest = largest
    }

    /// Lends `bytes`, read from offset `offset` of the file `(device, inode)`, to the reader: kept when
    /// there is room and the reader still reads (a buffer given again, at the same offset, is kept once).
    public func offer(_ bytes: [UInt8], offset: Int, device: UInt64, inode: UInt64) {
        state.withLock { s in
            guard !s.closed, s.chunks.count < capacity, bytes.count <= largest else { return }
            if let last = s.chunks.last, last.offset == offset, last.device == device, last.inode == inode, last.bytes.count == bytes.count { return }
            s.chunks.append(Chunk(device: device, inode: inode, offset: offset, bytes: bytes))
        }
    }

    /// Suspends until fewer than ``capacity`` buffers are held, or ``close()``.
    public func waitForRoom() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.closed || s.chunks.count < capacity { return true }
                s.waiter = c
                return false
            }
            if now { c.resume() }
        }
    }

    /// The buffer holding bytes `range` of the file `(device, inode)`, and the index of `range`'s first byte
    /// in it; `nil` when none does. The buffers lent before that one are let go (the reader reads in the
    /// order they were lent).
    public func take(_ range: Range<Int>, device: UInt64, inode: UInt64) -> (bytes: [UInt8], start: Int)? {
        let (found, waiter) = state.withLock { s -> ((bytes: [UInt8], start: Int)?, CheckedContinuation<Void, Never>?) in
            guard let k = s.chunks.firstIndex(where: { $0.holds(range, device: device, inode: inode) }) else { return (nil, nil) }
            for chunk in s.chunks[..<k] where s.done.count < capacity && chunk.bytes.capacity <= largest { s.done.append(chunk.bytes) }
            s.chunks.removeFirst(k)
            let chunk = s.chunks[0]
            var waiter: CheckedContinuation<Void, Never>?
            if s.chunks.count < capacity {
                waiter = s.waiter
                s.waiter = nil
            }
            return ((chunk.bytes, range.lowerBound - chunk.offset), waiter)
        }
        waiter?.resume()
        return found
    }

    /// A buffer the reader is done with (its bytes are to be overwritten), to read into again; `nil` when
    /// there is none.
    public func reusable() -> [UInt8]? {
        state.withLock { s in s.done.popLast() }
    }

    /// Lets every buffer go and ends every wait; later offers are not kept.
    public func close() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.closed = true
            s.chunks = []
            s.done = []
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }
}
