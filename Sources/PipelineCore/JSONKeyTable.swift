#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Object keys met across many JSON documents, each kept once as a `String` with a small integer id.
///
/// Rows of one file repeat the same keys, so a reader that decodes row after row (a package file's
/// ``PackageFileReader``) gives ``JSONText/decode(_:exactFloats:keys:)`` one table: a key seen before
/// costs a byte comparison instead of a UTF-8 check and a `String` allocation, rows share their key
/// strings (so comparing them downstream is a pointer check), and the duplicate-key check of an object
/// compares ids instead of strings (for ASCII keys). The next key is first guessed from the key that followed the same
/// predecessor last time (rows usually keep their keys in order); a miss falls back to a hash lookup.
///
/// Bounded: at most ``maxKeys`` keys of at most ``maxKeyLength`` bytes; other keys are decoded as
/// plain strings, as without a table. Not thread-safe: one table per reader.
public final class JSONKeyTable {
    /// The most keys a table holds.
    public static let maxKeys = 4096
    /// The longest key (in UTF-8 bytes) a table holds.
    public static let maxKeyLength = 128

    private(set) var strings: [String] = []
    /// Whether key `id` is ASCII. Only ASCII keys are equal exactly when their bytes are: Swift compares
    /// other strings by canonical equivalence (`é` and `e` + U+0301 are one key), so their objects keep
    /// comparing strings.
    private(set) var isASCII: [Bool] = []
    /// The bytes of every key, back to back; key `id` is `bytes[starts[id]..<starts[id + 1]]`.
    private var bytes: [UInt8] = []
    private var starts: [Int] = [0]
    /// Open addressing over ids (-1: empty); its size is a power of two, at least twice ``maxKeys``.
    private var buckets = [Int32](repeating: -1, count: 8192)
    /// The id that followed a predecessor last time, indexed by ``token(after:first:)``.
    private var guesses = [Int32](repeating: -1, count: 2 * (JSONKeyTable.maxKeys + 1))

    public init() {
        bytes.reserveCapacity(1 << 14)
    }

    /// The guess slot of the key after key `previous` (or, with `first`, of the first key of an object
    /// held by key `previous`; -1: no key, the top level or a list item).
    @inline(__always) static func token(after previous: Int32, first: Bool) -> Int {
        Int(previous + 1) &* 2 &+ (first ? 1 : 0)
    }

    /// The id of the key spelled by `key` (UTF-8, already decoded), interning it when new, or -1 when
    /// the table cannot hold it. `valid` says the bytes are known to be valid UTF-8; when they are not
    /// and the key is new, `nil` is returned (the caller reports invalid UTF-8).
    @inline(__always)
    func id(of key: UnsafeBufferPointer<UInt8>, guess slot: Int, valid: Bool) -> Int32? {
        let g = guesses[slot]
        if g >= 0, equals(Int(g), key) { return g }
        guard let found = lookup(key, valid: valid) else { return nil }
        if found >= 0 { guesses[slot] = found }
        return found
    }

    @inline(__always) private func equals(_ id: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[id], end = starts[id + 1]
        guard end - start == key.count else { return false }
        if key.isEmpty { return true }
        return bytes.withUnsafeBufferPointer { b in
            memcmp(b.baseAddress! + start, key.baseAddress!, key.count) == 0
        }
    }

    private func lookup(_ key: UnsafeBufferPointer<UInt8>, valid: Bool) -> Int32? {
        guard key.count <= Self.maxKeyLength else { return -1 }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        let mask = buckets.count - 1
        var k = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        while true {
            let id = buckets[k]
            if id < 0 { break }
            if equals(Int(id), key) { return id }
            k = (k + 1) & mask
        }
        guard strings.count < Self.maxKeys else { return -1 }
        guard valid || UTF8Text.isValid(key) else { return nil }
        let id = Int32(strings.count)
        strings.append(String(decoding: key, as: UTF8.self))
        isASCII.append(key.allSatisfy { $0 < 0x80 })
        bytes.append(contentsOf: key)
        starts.append(bytes.count)
        buckets[k] = id
        return id
    }
}
