/// Snappy's raw block format, written in Swift so that Parquet's default codec needs no system library
/// (the format is google/snappy's `format_description.txt`: a varint of the uncompressed length, then
/// literals and back-references of at most 64 bytes within a 64 KiB block).
///
/// The compressor is the usual greedy one: a hash of each 4-byte sequence finds an earlier occurrence in
/// the same 64 KiB block, a match is extended as far as it goes, and positions without a match are
/// skipped faster the longer no match is found, so incompressible pages cost little. Its ratio is that of
/// libsnappy on the same input to within a few percent (see docs/benchmarks.md for Parquet file sizes
/// against pyarrow).
enum Snappy {
    /// The most bytes ``compress(_:)`` writes for `count` input bytes (libsnappy's bound).
    static func maxCompressedLength(_ count: Int) -> Int { 32 + count + count / 6 }

    /// `input` in snappy's raw format.
    static func compress(_ input: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: maxCompressedLength(input.count)) { out, written in
            var sink = Sink(base: out.baseAddress!)
            sink.varint(UInt64(input.count))
            input.withUnsafeBufferPointer { source in
                var table = [UInt16](repeating: 0, count: 1 << hashBits)
                table.withUnsafeMutableBufferPointer { table in
                    var start = 0
                    while start < source.count {
                        let end = min(start + blockSize, source.count)
                        compressBlock(source.baseAddress!, start, end, table, &sink)
                        start = end
                    }
                }
            }
            written = sink.count
        }
    }

    private static let blockSize = 1 << 16
    private static let hashBits = 14

    @inline(__always)
    private static func load32(_ p: UnsafePointer<UInt8>, _ i: Int) -> UInt32 {
        UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self)
    }

    @inline(__always)
    private static func load64(_ p: UnsafePointer<UInt8>, _ i: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
    }

    @inline(__always)
    private static func hash(_ v: UInt32) -> Int { Int((v &* 0x1E35_A7BD) >> UInt32(32 - hashBits)) }

    /// Compresses `source[start..<end]` (at most 64 KiB), whose back-references stay inside it.
    private static func compressBlock(_ source: UnsafePointer<UInt8>, _ start: Int, _ end: Int,
                                      _ table: UnsafeMutableBufferPointer<UInt16>, _ sink: inout Sink)
    {
        // Too short to hold a match worth the hashing.
        guard end - start >= 16 else { return sink.literal(source + start, end - start) }
        table.update(repeating: 0)
        let last = end - 4  // the last position a 4-byte load may start at
        var pending = start  // the first byte not yet written
        var i = start + 1
        while i <= last {
            var skip = 32
            var candidate = 0
            var found = false
            while i <= last {
                let h = hash(load32(source, i))
                candidate = start + Int(table[h])
                table[h] = UInt16(truncatingIfNeeded: i - start)
                if candidate < i, load32(source, candidate) == load32(source, i) { found = true; break }
                i += skip >> 5
                skip += 1
            }
            guard found else { break }
            if pending < i { sink.literal(source + pending, i - pending) }
            // The match's length, eight bytes at a time (the first differing byte from the XOR's trailing
            // zeros, as the reference implementation finds it), the last few bytes one by one.
            var length = 4
            var ended = false
            while i + length + 8 <= end {
                let x = load64(source, candidate + length) ^ load64(source, i + length)
                if x != 0 {
                    length += x.trailingZeroBitCount >> 3
                    ended = true
                    break
                }
                length += 8
            }
            if !ended { while i + length < end, source[candidate + length] == source[i + length] { length += 1 } }
            sink.copy(offset: i - candidate, length: length)
            i += length
            pending = i
            if i - 1 <= last { table[hash(load32(source, i - 1))] = UInt16(truncatingIfNeeded: i - 1 - start) }
        }
        if pending < end { sink.literal(source + pending, end - pending) }
    }

    /// Writes elements into a buffer of ``maxCompressedLength(_:)`` bytes.
    private struct Sink {
        let base: UnsafeMutablePointer<UInt8>
        var count = 0

        @inline(__always)
        mutating func byte(_ b: UInt8) { base[count] = b; count += 1 }

        mutating func varint(_ value: UInt64) {
            var v = value
            while v >= 0x80 { byte(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
            byte(UInt8(v))
        }

        /// A literal: tag 00 with its length - 1 in the tag (< 60) or in the 1 to 4 bytes after it.
        mutating func literal(_ bytes: UnsafePointer<UInt8>, _ length: Int) {
            let n = length - 1
            if n < 60 {
                byte(UInt8(n << 2))
            } else {
                let width = n < 1 << 8 ? 1 : n < 1 << 16 ? 2 : n < 1 << 24 ? 3 : 4
                byte(UInt8((59 + width) << 2))
                for k in 0..<width { byte(UInt8(truncatingIfNeeded: n >> (8 * k))) }
            }
            (base + count).update(from: bytes, count: length)
            count += length
        }

        /// A back-reference, split into elements of at most 64 bytes (none shorter than 4).
        mutating func copy(offset: Int, length: Int) {
            var length = length
            while length >= 68 { copy2(offset, 64); length -= 64 }
            if length > 64 { copy2(offset, 60); length -= 60 }
            if length < 12, offset < 2048 {
                // tag 01: length - 4 in 3 bits, the offset's high 3 bits, then its low byte
                byte(UInt8(1 | ((length - 4) << 2) | ((offset >> 8) << 5)))
                byte(UInt8(truncatingIfNeeded: offset))
            } else {
                copy2(offset, length)
            }
        }

        /// Tag 10: length - 1 in 6 bits, then a 2-byte little-endian offset.
        private mutating func copy2(_ offset: Int, _ length: Int) {
            byte(UInt8(2 | ((length - 1) << 2)))
            byte(UInt8(truncatingIfNeeded: offset))
            byte(UInt8(truncatingIfNeeded: offset >> 8))
        }
    }
}
