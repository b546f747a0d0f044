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

    /// Appends a double's shortest round-trip text, as Swift's `description` writes it; `null` (JSON) or
    /// nothing (CSV) for NaN and infinities. Zero, and values from 0.001 to 10^15 with at most six
    /// decimals (most data), are written from their scaled integer without a `String`.
    @inline(__always) static func appendDouble(_ d: Double, to sink: ByteSink, nonFinite: String) {
        guard d.isFinite else {
            sink.append(nonFinite)
            return
        }
        if let (m, k) = scaledInteger(d) {
            appendScaled(UInt64(m), decimals: k, negative: d.sign == .minus, to: sink)
            return
        }
        sink.append(d.description)
    }

    /// Appends `m` with a point `k` digits from the right ("0.05" for m 5, k 2; "3.0" for m 3, k 0), after a
    /// minus sign when `negative`: the text of a double that is `m / 10^k` exactly as ``scaledInteger(_:)``
    /// finds it, or as a ``PipelineCore/FieldPayload/scaledDouble(_:_:)`` holds it. One loop of divisions by the
    /// constant 10 (multiplications), into 24 bytes of scratch.
    @inline(__always) static func appendScaled(_ m: UInt64, decimals k: Int, negative: Bool, to sink: ByteSink) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var i = 24
            var rest = m
            if k == 0 {
                i -= 2
                p[i] = 0x2E
                p[i + 1] = 0x30
            }
            var written = 0
            repeat {
                i -= 1
                p[i] = UInt8(truncatingIfNeeded: 48 &+ rest % 10)
                rest /= 10
                written += 1
                if written == k {
                    i -= 1
                    p[i] = 0x2E
                }
            } while rest > 0 || written <= k
            if negative {
                i -= 1
                p[i] = 0x2D
            }
            sink.append(UnsafeBufferPointer(start: p + i, count: 24 - i))
        }
    }

    /// `|d|` as `m / 10^k` with the fewest decimals `k` (at most 6) that give `|d|` back exactly, for zero
    /// and for 0.001 <= |d| < 10^15 (where `description` writes plain decimals); `nil` otherwise. `m` is
    /// below 2^53, so `m / 10^k` is one correctly rounded division: the text reads back as `d`.
    @inline(__always) static func scaledInteger(_ d: Double) -> (Int64, Int)? {
        let a = d.magnitude
        if a == 0 { return (0, 0) }
        guard a >= 1e-3, a < 1e15 else { return nil }
        var scale = 1.0
        for k in 0...6 {
            let x = a * scale
            guard x < 9_007_199_254_740_992 else { return nil }  // and so for every larger k
            // `x.rounded()` (half away from zero), without the call to libm's `round` it compiles to: the
            // truncation and the fraction are exact below 2^53.
            let t = Double(Int64(x))
            let m = x - t >= 0.5 ? t + 1 : t
            // `a * scale` is within two units in the last place of `m` when `m / scale` is `a`: most
            // scales are ruled out by that, without the division.
            if (x - m).magnitude <= x * 0x1p-51, m < 9_007_199_254_740_992, m / scale == a { return (Int64(m), k) }
            scale *= 10
        }
        return nil
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`, through a writer's ``TimestampWriter``.
    @inline(__always) static func appendTimestamp(_ micros: Int64, to sink: ByteSink, with writer: TimestampWriter) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Timestamps.maxTextLength) { p in
            let n = writer.write(micros, into: p.baseAddress!)
            sink.append(UnsafeBufferPointer(start: p.baseAddress!, count: n))
        }
    }

    /// Appends `bytes` as a JSON string body (without the quotes): `"`, `\` and control characters escaped.
    /// Runs without them are found eight bytes at a time (``JSONText/plainRun(_:from:)``) and copied whole.
    @inline(__always) static func appendJSONEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to sink: ByteSink) {
        var runStart = 0
        while true {
            let i = JSONText.plainRun(bytes, from: runStart).end
            if i > runStart { sink.append(UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            guard i < bytes.count else { return }
            let b = bytes[i]
            sink.append(0x5C)
            switch b {
            case 0x22, 0x5C: sink.append(b)
            case 0x0A: sink.append(0x6E)
            case 0x0D: sink.append(0x72)
            case 0x09: sink.append(0x74)
            default:
                let hex = { (d: UInt8) -> UInt8 in d < 10 ? 48 + d : 87 + d }  // 0-9, a-f
                for byte in [0x75, 0x30, 0x30, hex(b >> 4), hex(b & 15)] as [UInt8] { sink.append(byte) }
            }
            runStart = i + 1
        }
    }
}
