#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PipelineCore

/// Makes `_dlt_id` values: random for root rows, derived from the parent's id, table and list index
/// for child rows (as dlt does), so a child row's id is stable across reloads of the same parent.
struct RowIds {
    private var state: (UInt64, UInt64)

    init() {
        var seed: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &seed) { p in
            for k in 0..<p.count { p[k] = UInt8.random(in: 0...255) }
        }
        state = (seed.0 | 1, seed.1)
    }

    /// A generator that makes the same ids on every run (for tests comparing two normalizations).
    init(seed: UInt64) { state = (seed | 1, seed &* 0x9E37_79B9_7F4A_7C15) }

    /// xoroshiro128+: fast, and seeded once per run from the system generator.
    private mutating func next() -> UInt64 {
        let s0 = state.0
        var s1 = state.1
        let result = s0 &+ s1
        s1 ^= s0
        state.0 = ((s0 << 55) | (s0 >> 9)) ^ s1 ^ (s1 << 14)
        state.1 = (s1 << 36) | (s1 >> 28)
        return result
    }

    /// 10 random bytes, base64 without padding: 14 characters like dlt's.
    mutating func random() -> String {
        let a = next(), b = next()
        return Self.encode(a, b)
    }

    /// A stable id for item `index` of a list in `table` under `parent`.
    static func child(parent: String, table: String, index: Int) -> String {
        ChildIds(parent: parent, table: table).id(index)
    }

    /// The ids of the items of one list: the hash of `parent` and `table`, taken once, goes on with each
    /// item's index (``child(parent:table:index:)`` is this, one item at a time).
    struct ChildIds {
        private var h1: UInt64 = 0xcbf2_9ce4_8422_2325
        private var h2: UInt64 = 0x8422_2325_cbf2_9ce4

        init(parent: String, table: String) {
            for b in parent.utf8 { mix(b) }
            mix(0x5F)
            for b in table.utf8 { mix(b) }
            mix(0x5F)
        }

        @inline(__always) private mutating func mix(_ byte: UInt8) {
            h1 = (h1 ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            h2 = (h2 ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 &+ 0x9E37_79B9_7F4A_7C15
        }

        func id(_ index: Int) -> String {
            var state = self
            var i = index
            repeat {
                state.mix(UInt8(48 + i % 10))
                i /= 10
            } while i > 0
            return RowIds.encode(state.h1 ^ (state.h2 >> 29), state.h2 ^ (state.h1 >> 31))
        }
    }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// 80 bits as 14 base64 characters, built in place (it runs once per row).
    fileprivate static func encode(_ a: UInt64, _ b: UInt64) -> String {
        // 80 bits = 13 full sextets + 2 bits; take them from a (64 bits) then b (16 bits).
        String(unsafeUninitializedCapacity: 14) { out in
            alphabet.withUnsafeBufferPointer { table in
                var hi = a
                for k in 0..<10 {
                    out[k] = table[Int(hi >> 58)]
                    hi <<= 6
                }
                // 4 bits left of a, then 16 bits of b: 20 bits -> 4 sextets (the last padded with zeros).
                let rest = (a & 0xF) << 16 | (b & 0xFFFF)
                out[10] = table[Int((rest >> 14) & 63)]
                out[11] = table[Int((rest >> 8) & 63)]
                out[12] = table[Int((rest >> 2) & 63)]
                out[13] = table[Int((rest << 4) & 63)]
            }
            return 14
        }
    }
}

/// Load ids are the start time in seconds with microseconds, like dlt's, and always increase.
enum LoadIds {
    static func make(after previous: String?) -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var micros = Int64(tv.tv_sec) * 1_000_000 + Int64(tv.tv_usec)
        if let previous, let last = parse(previous), micros <= last { micros = last + 1 }
        let frac = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - frac.count) + frac
    }

    static func parse(_ id: String) -> Int64? {
        let parts = id.split(separator: ".")
        guard parts.count == 2, let s = Int64(parts[0]), let f = Int64(parts[1]) else { return nil }
        return s * 1_000_000 + f
    }
}
