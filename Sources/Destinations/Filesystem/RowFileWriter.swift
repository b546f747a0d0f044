import PipelineCore

/// Writes one table's normalized rows into one file of a format (JSON Lines, CSV, Parquet).
///
/// Rows come as the package's frames (``FlatRowCursor``); the writer owns its local file and knows
/// nothing of where the file goes afterwards (``FileStorage``).
protocol RowFileWriter: AnyObject {
    /// Appends one row.
    func write(_ frame: UnsafeBufferPointer<UInt8>) throws
    /// The size of the file so far (bytes written plus an estimate of what is buffered), for rotation.
    var approximateSize: Int { get }
    /// Writes what is buffered and the format's trailer; the file is complete after this.
    func finish() throws
}

/// Text forms shared by the text formats.
enum TextForms {
    /// Appends the decimal digits of `v`.
    @inline(__always) static func appendInt(_ v: Int64, to sink: ByteSink) {
        if v >= 0 && v < 10 {
            sink.append(UInt8(48 + v))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
        var magnitude = v.magnitude
        let count = withUnsafeMutableBytes(of: &digits) { raw -> Int in
            var i = 24
            while magnitude > 0 {
                i -= 1
                raw[i] = UInt8(48 + magnitude % 10)
                magnitude /= 10
            }
            if v < 0 {
                i -= 1
                raw[i] = 45
            }
            sink.append(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: 24 - i))
            return 24 - i
        }
        _ = count
    }

    /// Appends a double's shortest round-trip text; `null` (JSON) or nothing (CSV) for NaN and infinities.
    @inline(__always) static func appendDouble(_ d: Double, to sink: ByteSink, nonFinite: String) {
        if d.isFinite { sink.append(d.description) } else { sink.append(nonFinite) }
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`.
    @inline(__always) static func appendTimestamp(_ micros: Int64, to sink: ByteSink) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { p in
            let n = Timestamps.writeTimestamp(micros, into: p.baseAddress!)
            sink.append(UnsafeBufferPointer(start: p.baseAddress!, count: n))
        }
    }

    /// Appends `bytes` as a JSON string body (without the quotes): `"`, `\` and control characters escaped.
    @inline(__always) static func appendJSONEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to sink: ByteSink) {
        var runStart = 0
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for i in 0..<bytes.count {
            let b = bytes[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C { continue }
            if i > runStart { sink.append(UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            switch b {
            case 0x22: sink.append([0x5C, 0x22])
            case 0x5C: sink.append([0x5C, 0x5C])
            case 0x0A: sink.append([0x5C, 0x6E])
            case 0x0D: sink.append([0x5C, 0x72])
            case 0x09: sink.append([0x5C, 0x74])
            default: sink.append([0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            }
            runStart = i + 1
        }
        if runStart < bytes.count { sink.append(UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }
}
