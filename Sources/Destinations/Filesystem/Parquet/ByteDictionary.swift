#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The distinct byte strings of a column chunk, in first-seen order, with their indices: an
/// open-addressing hash table over one arena of bytes (no allocation per value).
struct ByteDictionary {
    private var bytes: [UInt8] = []
    private var offsets: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Index + 1 of the entry in each slot, 0 for empty; the count of slots is a power of two.
    private var slots = [Int32](repeating: 0, count: 1024)

    var count: Int { hashes.count }
    var byteCount: Int { bytes.count }

    /// Calls `body` with the bytes of entry `k`.
    func withValue<T>(_ k: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offsets[k]..<offsets[k + 1]])) }
    }

    @inline(__always) static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(p.count)
        var i = 0
        let raw = UnsafeRawBufferPointer(p)
        while i + 8 <= p.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        while i < p.count {
            h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3
            i += 1
        }
        h ^= h >> 29
        h = h &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 32)
    }

    /// The index of `p`, added when new.
    @inline(__always) mutating func index(of p: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let h = Self.hash(p)
        var mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { break }
            let k = entry - 1
            if hashes[k] == h {
                let start = offsets[k], length = offsets[k + 1] - start
                if length == p.count
                    && (length == 0 || bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + start, p.baseAddress!, length) == 0 })
                {
                    return UInt32(k)
                }
            }
            slot = (slot + 1) & mask
        }
        let k = hashes.count
        bytes.append(contentsOf: p)
        offsets.append(bytes.count)
        hashes.append(h)
        slots[slot] = Int32(k + 1)
        if hashes.count * 2 > slots.count {
            slots = [Int32](repeating: 0, count: slots.count * 2)
            mask = slots.count - 1
            for (j, hj) in hashes.enumerated() {
                var s = Int(truncatingIfNeeded: hj) & mask
                while slots[s] != 0 { s = (s + 1) & mask }
                slots[s] = Int32(j + 1)
            }
        }
        return UInt32(k)
    }
}

/// The distinct values of a column chunk of a 4- or 8-byte physical type (INT32, INT64, DOUBLE, by
/// their bit patterns), in first-seen order, with their indices: ``ByteDictionary`` without the arena,
/// for the types most columns have.
struct FixedDictionary {
    private(set) var values: [UInt64] = []
    /// Index + 1 of the entry in each slot, 0 for empty; the count of slots is a power of two.
    private var slots = [Int32](repeating: 0, count: 1024)

    var count: Int { values.count }

    /// MurmurHash3's 64-bit finalizer: every bit of `v` reaches the low bits the mask keeps (doubles'
    /// bit patterns often end in dozens of zero bits).
    @inline(__always) static func slot(_ v: UInt64, mask: Int) -> Int {
        var h = v ^ (v >> 33)
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The index of `v`, added when new.
    @inline(__always) mutating func index(of v: UInt64) -> UInt32 {
        let mask = slots.count - 1
        var slot = Self.slot(v, mask: mask)
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { break }
            if values[entry - 1] == v { return UInt32(entry - 1) }
            slot = (slot + 1) & mask
        }
        let k = values.count
        values.append(v)
        slots[slot] = Int32(k + 1)
        if values.count * 2 > slots.count {
            slots = [Int32](repeating: 0, count: slots.count * 2)
            let mask = slots.count - 1
            for (j, value) in values.enumerated() {
                var s = Self.slot(value, mask: mask)
                while slots[s] != 0 { s = (s + 1) & mask }
                slots[s] = Int32(j + 1)
            }
        }
        return UInt32(k)
    }
}
