/// Fast construction of `String`s from bytes that must be valid UTF-8.
public enum UTF8Text {
    /// A `String` of `bytes`, or `nil` when they are not valid UTF-8. ASCII (the common case) takes a
    /// word-at-a-time check; other text is validated by a small state machine, never repaired.
    @inline(__always)
    public static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard isValid(bytes) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func isValid(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = p.count
        guard let base = p.baseAddress else { return true }
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
            default: return false
            }
            guard i + need < n else { return false }  // truncated sequence
            let c1 = base[i + 1]
            guard c1 >= lower, c1 <= upper else { return false }
            var k = 2
            while k <= need {
                guard base[i + k] >= 0x80, base[i + k] <= 0xBF else { return false }
                k += 1
            }
            i += need + 1
        }
        return true
    }
}
