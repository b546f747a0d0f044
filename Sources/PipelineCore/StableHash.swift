/// A stable 80-bit hash as 14 base64 characters: the same text gives the same key on every machine and
/// run (Swift's `Hasher` is seeded per process, so it cannot be stored).
public enum StableHash {
    public static func of(_ text: String) -> String {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325
        var h2: UInt64 = 0x6c62_272e_07bb_0142
        for b in text.utf8 {
            h1 = (h1 ^ UInt64(b)) &* 0x0000_0100_0000_01B3
            h2 = (h2 ^ UInt64(b)) &* 0x0000_0100_0000_01B3 &+ 0x9E37_79B9_7F4A_7C15
        }
        h2 ^= h1 >> 29
        var bytes = [UInt8](repeating: 0, count: 10)
        for k in 0..<8 { bytes[k] = UInt8(truncatingIfNeeded: h1 >> (8 * UInt64(k))) }
        bytes[8] = UInt8(truncatingIfNeeded: h2)
        bytes[9] = UInt8(truncatingIfNeeded: h2 >> 8)
        return Base64.encode(bytes, padded: false)
    }
}
