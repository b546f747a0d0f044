/// Decimal text as Parquet's DECIMAL in a FIXED_LEN_BYTE_ARRAY(16): the unscaled value (the number
/// times `10^scale`) as a big-endian two's complement 128-bit integer.
enum DecimalEncoding {
    /// The 16 bytes of `text` (`-12.5`, `1e3`, `0.000000001`) at `scale`, or `nil` when it has more
    /// significant digits than `precision` allows or more fraction digits than `scale` (other than zeros).
    static func bigEndian128(_ text: UnsafeBufferPointer<UInt8>, scale: Int, precision: Int) -> [UInt8]? {
        var i = 0
        var negative = false
        if i < text.count, text[i] == 0x2D || text[i] == 0x2B {
            negative = text[i] == 0x2D
            i += 1
        }
        var digits: [UInt8] = []
        var fraction = 0
        var seenPoint = false
        var any = false
        while i < text.count {
            let c = text[i]
            if c >= 0x30 && c <= 0x39 {
                any = true
                if !(digits.isEmpty && c == 0x30) { digits.append(c - 0x30) } else if seenPoint { digits.append(0) }
                if seenPoint { fraction += 1 }
            } else if c == 0x2E && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        guard any else { return nil }
        var exponent = 0
        if i < text.count, text[i] == 0x65 || text[i] == 0x45 {
            i += 1
            var sign = 1
            if i < text.count, text[i] == 0x2D || text[i] == 0x2B {
                sign = text[i] == 0x2D ? -1 : 1
                i += 1
            }
            var e = 0
            var expDigits = false
            while i < text.count, text[i] >= 0x30 && text[i] <= 0x39, e < 100_000 {
                e = e * 10 + Int(text[i] - 0x30)
                expDigits = true
                i += 1
            }
            guard expDigits else { return nil }
            exponent = sign * e
        }
        guard i == text.count else { return nil }
        // value = digits * 10^(exponent - fraction); unscaled = digits * 10^(exponent - fraction + scale)
        var shift = exponent - fraction + scale
        while shift < 0 {
            guard let last = digits.last else { break }
            guard last == 0 else { return nil }  // a fraction digit the scale cannot hold
            digits.removeLast()
            shift += 1
        }
        if shift < 0 { shift = 0 }  // the value is zero
        while let first = digits.first, first == 0 { digits.removeFirst() }
        guard digits.count + (digits.isEmpty ? 0 : shift) <= precision else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        func times10plus(_ d: UInt64) {
            let l = lo.multipliedFullWidth(by: 10)
            let (sum, carry) = l.low.addingReportingOverflow(d)
            lo = sum
            hi = hi &* 10 &+ l.high &+ (carry ? 1 : 0)
        }
        for d in digits { times10plus(UInt64(d)) }
        if !digits.isEmpty { for _ in 0..<shift { times10plus(0) } }
        if negative {
            // two's complement: invert and add one
            hi = ~hi
            lo = ~lo
            let (sum, carry) = lo.addingReportingOverflow(1)
            lo = sum
            if carry { hi = hi &+ 1 }
        }
        var out = [UInt8](repeating: 0, count: 16)
        for k in 0..<8 {
            out[k] = UInt8(truncatingIfNeeded: hi >> UInt64(56 - 8 * k))
            out[8 + k] = UInt8(truncatingIfNeeded: lo >> UInt64(56 - 8 * k))
        }
        return out
    }
}
