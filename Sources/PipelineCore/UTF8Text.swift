/// Fast construction of `String`s from bytes that must be valid UTF-8.
public enum UTF8Text {
    /// A `String` of `bytes`, or `nil` when they are not valid UTF-8. ASCII (the common case) takes a
    /// word-at-a-time check; other text is validated by a small state machine, never repaired.
    @inline(__always)
    public static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard isValid(bytes) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    public static func isValid(_ p: UnsafeBufferPointer<UInt8>) -> Bool { firstInvalid(p) == nil }

    /// The offset of the first byte of `p` that does not begin a valid UTF-8 sequence (an error names
    /// the byte that is wrong), or `nil` when all of `p` is valid.
    public static func firstInvalid(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
        let n = p.count
        guard let base = p.baseAddress else { return nil }
        var i = 0
        // ASCII fast path, eight bytes at a time.
        while i + 8 <= n {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if word & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        while i < n {
            let b = base[i]
            if b < 0x80 {
                i += 1
                continue
            }
            let need: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: need = 2
            case 0xED: need = 2; upper = 0x9F  // no surrogates
            case 0xF0: need = 3; lower = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; upper = 0x8F
            default: return i
            }
            guard i + need < n else { return i }  // truncated sequence
            let c1 = base[i + 1]
            guard c1 >= lower, c1 <= upper else { return i }
            var k = 2
            while k <= need {
                guard base[i + k] >= 0x80, base[i + k] <= 0xBF else { return i }
                k += 1
            }
            i += need + 1
        }
        return nil
    }
}
