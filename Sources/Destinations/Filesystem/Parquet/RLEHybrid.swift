/// Parquet's RLE / bit-packing hybrid encoding, used for definition levels and dictionary indices.
///
/// A sequence of runs, each starting with a varint header: `count << 1` for a repeated run (the value
/// follows in `ceil(bitWidth / 8)` little-endian bytes), `groups << 1 | 1` for a bit-packed run of
/// `groups * 8` values (packed least significant bit first). A run of 8 or more equal values is
/// repeated; the rest is bit-packed in groups of 8 (the last group padded with zeros; readers know how
/// many values there are).
enum RLEHybrid {
    /// Appends the encoding of `values` (each below `1 << bitWidth`) to `out`.
    static func encode<C: RandomAccessCollection>(_ values: C, bitWidth: Int, into out: inout [UInt8])
    where C.Element: FixedWidthInteger, C.Index == Int
    {
        let n = values.count
        let start = values.startIndex
        let valueBytes = (bitWidth + 7) / 8
        @inline(__always) func value(_ i: Int) -> UInt64 { UInt64(truncatingIfNeeded: values[start + i]) }
        @inline(__always) func runLength(at i: Int) -> Int {
            let v = value(i)
            var j = i + 1
            while j < n && value(j) == v { j += 1 }
            return j - i
        }
        @inline(__always) func varint(_ x: Int) {
            var v = UInt64(x)
            while v >= 0x80 {
                out.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            out.append(UInt8(v))
        }
        var i = 0
        while i < n {
            let run = runLength(at: i)
            if run >= 8 {
                varint(run << 1)
                var v = value(i)
                for _ in 0..<valueBytes {
                    out.append(UInt8(truncatingIfNeeded: v))
                    v >>= 8
                }
                i += run
                continue
            }
            // Bit-packed groups of 8 until a long run starts at a group boundary (at most 63 groups a run).
            let first = i
            var groups = 0
            repeat {
                i += 8
                groups += 1
            } while i < n && groups < 63 && (i + 8 > n || runLength(at: i) < 8)
            varint(groups << 1 | 1)
            var acc: UInt64 = 0
            var bits = 0
            for k in first..<(first + groups * 8) {
                acc |= (k < n ? value(k) : 0) << UInt64(bits)
                bits += bitWidth
                while bits >= 8 {
                    out.append(UInt8(truncatingIfNeeded: acc))
                    acc >>= 8
                    bits -= 8
                }
            }
            if bits > 0 { out.append(UInt8(truncatingIfNeeded: acc)) }
        }
    }

    /// The bits needed for values up to `maxValue`.
    static func bitWidth(forMax maxValue: Int) -> Int {
        maxValue <= 0 ? 0 : Int.bitWidth - maxValue.leadingZeroBitCount
    }
}
