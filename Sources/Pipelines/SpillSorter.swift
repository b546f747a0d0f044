import Foundation
import PipelineCore

/// Sorts any number of fixed-size records in bounded memory: records gather in a buffer of
/// `runLength`; a full buffer is sorted and written as a run to a scratch file; reading merges the runs.
///
/// Memory stays at one buffer plus one chunk per run however many records arrive, so the normalizer's
/// batch dedup needs no memory proportional to the batch.
struct SpillSorter<Record: Comparable & BitwiseCopyable> {
    /// Records held in memory before a run is written (the bound on this sorter's memory).
    let runLength: Int
    private let directory: String
    private var buffer: [Record] = []
    private var file: ScratchFile?
    private var runs: [Range<Int>] = []  // record indices in `file`

    init(directory: String, runLength: Int = 1 << 17) {
        self.directory = directory
        self.runLength = max(1, runLength)
    }

    var isEmpty: Bool { buffer.isEmpty && runs.isEmpty }

    /// Number of runs written to disk so far.
    var spilledRuns: Int { runs.count }

    mutating func append(_ record: Record) throws {
        buffer.append(record)
        if buffer.count >= runLength { try spill() }
    }

    private mutating func spill() throws {
        buffer.sort()
        if file == nil { file = try ScratchFile(in: directory) }
        let start = file!.size / MemoryLayout<Record>.stride
        try buffer.withUnsafeBytes { try file!.append($0) }
        runs.append(start..<(start + buffer.count))
        buffer.removeAll(keepingCapacity: true)
    }

    /// The records in ascending order; the sorter is left empty.
    mutating func sorted() -> SortedRecords<Record> {
        buffer.sort()
        defer { self = SpillSorter(directory: directory, runLength: runLength) }
        return SortedRecords(file: file, runs: runs, memory: buffer)
    }
}

/// The merge of a ``SpillSorter``'s runs, read one record at a time in ascending order.
struct SortedRecords<Record: Comparable & BitwiseCopyable> {
    /// One run's read position and a chunk of its records.
    private struct Cursor {
        var next: Int
        let end: Int
        var chunk: [Record] = []
        var index = 0
    }
    private static var chunkLength: Int { 4096 }
    private let file: ScratchFile?
    private var cursors: [Cursor]
    private let memory: [Record]
    private var memoryIndex = 0

    fileprivate init(file: ScratchFile?, runs: [Range<Int>], memory: [Record]) {
        self.file = file
        self.cursors = runs.map { Cursor(next: $0.lowerBound, end: $0.upperBound) }
        self.memory = memory
    }

    /// The next record, or nil after the last.
    mutating func next() throws -> Record? {
        // The runs are few (one per `runLength` records): a linear scan for the smallest head is enough.
        var best: Int? = nil
        var bestRecord = memoryIndex < memory.count ? memory[memoryIndex] : nil
        for k in cursors.indices {
            guard let head = try head(k) else { continue }
            if bestRecord == nil || head < bestRecord! {
                best = k
                bestRecord = head
            }
        }
        guard let bestRecord else { return nil }
        if let best { cursors[best].index += 1 } else { memoryIndex += 1 }
        return bestRecord
    }

    private mutating func head(_ k: Int) throws -> Record? {
        if cursors[k].index < cursors[k].chunk.count { return cursors[k].chunk[cursors[k].index] }
        guard cursors[k].next < cursors[k].end, let file else { return nil }
        let count = min(Self.chunkLength, cursors[k].end - cursors[k].next)
        cursors[k].chunk = try [Record](unsafeUninitializedCapacity: count) { buffer, initialized in
            try file.read(at: cursors[k].next * MemoryLayout<Record>.stride, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
        cursors[k].next += count
        cursors[k].index = 0
        return cursors[k].chunk[0]
    }
}

/// A scratch file unlinked as soon as it is created: it is gone when closed, or when the process dies,
/// so no run leaves one behind.
final class ScratchFile {
    private let fd: Int32
    private(set) var size = 0

    init(in directory: String) throws {
        let path = directory + "/.spill-" + UUID().uuidString
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SluiceError(.io, "cannot create a scratch file in \(directory): \(String(cString: strerror(errno)))") }
        unlink(path)
    }

    deinit { close(fd) }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(size + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SluiceError(.io, "cannot write a scratch file: \(String(cString: strerror(errno)))") }
            done += n
        }
        size += bytes.count
    }

    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SluiceError(.io, "cannot read a scratch file: \(String(cString: strerror(errno)))") }
            done += n
        }
    }
}
