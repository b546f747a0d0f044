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
/// Bounded: at most ``maxKeys`` keys of at most ``maxKeyLength`` bytes (its memory, about 600 KB, is
/// taken once); other keys are decoded as plain strings, as without a table. Not thread-safe: one table per reader.
public final class JSONKeyTable {
    /// The most keys a table holds.
    public static let maxKeys = 4096
    /// The longest key (in UTF-8 bytes) a table holds.
    public static let maxKeyLength = 128

    /// Number of keys held.
    private(set) var count = 0
    /// Key `id`'s string (initialized for ids below ``count``).
    let strings = UnsafeMutablePointer<String>.allocate(capacity: JSONKeyTable.maxKeys)
    /// Whether key `id` is ASCII. Only ASCII keys are equal exactly when their bytes are: Swift compares
    /// other strings by canonical equivalence (`é` and `e` + U+0301 are one key), so their objects keep
    /// comparing strings.
    let isASCII = UnsafeMutablePointer<Bool>.allocate(capacity: JSONKeyTable.maxKeys)
    /// The bytes of every key, back to back; key `id` is `bytes[starts[id]..<starts[id + 1]]`.
    private let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: JSONKeyTable.maxKeys * JSONKeyTable.maxKeyLength)
    private let starts = UnsafeMutablePointer<Int>.allocate(capacity: JSONKeyTable.maxKeys + 1)
    /// Open addressing over ids (-1: empty), twice as many buckets as keys.
    private static let bucketCount = 2 * JSONKeyTable.maxKeys
    private let buckets = UnsafeMutablePointer<Int32>.allocate(capacity: JSONKeyTable.bucketCount)
    /// The id that followed a predecessor last time, indexed by ``token(after:first:)``.
    private let guesses = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * (JSONKeyTable.maxKeys + 1))

    /// The scanner's stack of key ids, kept between documents so it is allocated once.
    var idStack: [Int32] = []
    /// Per nesting depth (up to 16), the field count of the last object seen there: the next object's
    /// fields are reserved at once instead of growing.
    var objectSizes = [Int](repeating: 0, count: 16)

    public init() {
        starts[0] = 0
        buckets.initialize(repeating: -1, count: Self.bucketCount)
        guesses.initialize(repeating: -1, count: 2 * (Self.maxKeys + 1))
    }

    deinit {
        strings.deinitialize(count: count)
        strings.deallocate()
        isASCII.deallocate()
        bytes.deallocate()
        starts.deallocate()
        buckets.deallocate()
        guesses.deallocate()
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
        let start = starts[id]
        guard starts[id + 1] - start == key.count else { return false }
        if key.isEmpty { return true }
        return memcmp(bytes + start, key.baseAddress!, key.count) == 0
    }

    private func lookup(_ key: UnsafeBufferPointer<UInt8>, valid: Bool) -> Int32? {
        guard key.count <= Self.maxKeyLength else { return -1 }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        let mask = Self.bucketCount - 1
        var k = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        while true {
            let id = buckets[k]
            if id < 0 { break }
            if equals(Int(id), key) { return id }
            k = (k + 1) & mask
        }
        guard count < Self.maxKeys else { return -1 }
        guard valid || UTF8Text.isValid(key) else { return nil }
        let id = count
        (strings + id).initialize(to: String(decoding: key, as: UTF8.self))
        isASCII[id] = key.allSatisfy { $0 < 0x80 }
        if let base = key.baseAddress { (bytes + starts[id]).update(from: base, count: key.count) }
        starts[id + 1] = starts[id] + key.count
        count += 1
        buckets[k] = Int32(id)
        return Int32(id)
    }
}
