import DatabaseClients
import PipelineCore

/// Encodes rows of a normalized package file in PostgreSQL's binary COPY format: no text parsing of
/// numbers and timestamps on the server, and none on our side either (values go from package bytes
/// to wire bytes).
struct BinaryCopyEncoder {
    private(set) var buffer: [UInt8] = []
    let types: [DataType]
    private var slots: [FieldPayload?]

    init(types: [DataType]) {
        self.types = types
        slots = Array(repeating: nil, count: types.count)
        buffer.reserveCapacity(1 << 20)
        buffer += Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
        int32(0)  // flags
        int32(0)  // header extension length
    }

    mutating func reset() { buffer.removeAll(keepingCapacity: true) }

    mutating func trailer() { int16(-1) }

    @inline(__always) mutating func int16(_ v: Int16) { withUnsafeBytes(of: v.bigEndian) { buffer.append(contentsOf: $0) } }
    @inline(__always) mutating func int32(_ v: Int32) { withUnsafeBytes(of: v.bigEndian) { buffer.append(contentsOf: $0) } }
    @inline(__always) mutating func int64(_ v: Int64) { withUnsafeBytes(of: v.bigEndian) { buffer.append(contentsOf: $0) } }

    /// Appends one row (a frame of `(column, value)` pairs), in column order.
    mutating func append(frame: UnsafeBufferPointer<UInt8>) throws {
        for k in slots.indices { slots[k] = nil }
        var cursor = FlatRowCursor(frame)
        while let (column, value) = cursor.next() {
            if column < slots.count { slots[column] = value }
        }
        try cursor.checkEnd()
        int16(Int16(types.count))
        for (k, slot) in slots.enumerated() {
            guard let value = slot else {
                int32(-1)
                continue
            }
            try encode(value, as: types[k])
        }
    }

    private mutating func bytes(_ p: UnsafeBufferPointer<UInt8>) {
        int32(Int32(p.count))
        buffer.append(contentsOf: p)
    }

    private mutating func encode(_ value: FieldPayload, as type: DataType) throws {
        switch (value, type) {
        case (.null, _): int32(-1)
        case (.bool(let b), _): int32(1); buffer.append(b ? 1 : 0)
        case (.bigint(let i), .double): int32(8); int64(Int64(bitPattern: Double(i).bitPattern))
        case (.bigint(let i), _): int32(8); int64(i)
        case (.double(let d), _): int32(8); int64(Int64(bitPattern: d.bitPattern))
        case (.scaledDouble(let m, let k), _): int32(8); int64(Int64(bitPattern: FieldPayload.scaledDouble(m, k).bitPattern))
        case (.date(let d), _): int32(4); int32(d - 10957)  // days since 2000-01-01
        case (.timestamp(let t), _): int32(8); int64(t - 946_684_800_000_000)  // microseconds since 2000-01-01
        case (.text(let p), .json):
            int32(Int32(p.count + 1))
            buffer.append(1)  // jsonb version
            buffer.append(contentsOf: p)
        case (.text(let p), .decimal), (.decimal(let p), _):
            try numeric(String(decoding: p, as: UTF8.self))
        case (.text(let p), _), (.binary(let p), _): bytes(p)
        }
    }

    /// PostgreSQL's binary `numeric`: base-10000 digits with a weight, sign and display scale.
    mutating func numeric(_ text: String) throws {
        var s = Substring(text.trimmingCharacters(in: [" "]))
        var negative = false
        if s.first == "-" || s.first == "+" {
            negative = s.first == "-"
            s = s.dropFirst()
        }
        // Move an exponent into the digits.
        var exponent = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let x = Int(s[s.index(after: e)...]) else { throw SluiceError(.badInput, "not a decimal: \(text)") }
            exponent = x
            s = s[..<e]
        }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var intDigits = Array(parts[0].utf8).map { Int($0) - 48 }
        var fracDigits = parts.count > 1 ? Array(parts[1].utf8).map { Int($0) - 48 } : []
        guard (intDigits + fracDigits).allSatisfy({ (0...9).contains($0) }), !(intDigits + fracDigits).isEmpty else {
            throw SluiceError(.badInput, "not a decimal: \(text)")
        }
        while exponent > 0 {
            intDigits.append(fracDigits.isEmpty ? 0 : fracDigits.removeFirst())
            exponent -= 1
        }
        while exponent < 0 {
            fracDigits.insert(intDigits.popLast() ?? 0, at: 0)
            exponent += 1
        }
        while intDigits.first == 0 { intDigits.removeFirst() }
        let dscale = fracDigits.count
        // Group in fours around the decimal point.
        while intDigits.count % 4 != 0 { intDigits.insert(0, at: 0) }
        while fracDigits.count % 4 != 0 { fracDigits.append(0) }
        var groups: [Int16] = []
        for g in stride(from: 0, to: intDigits.count, by: 4) {
            groups.append(Int16(intDigits[g] * 1000 + intDigits[g + 1] * 100 + intDigits[g + 2] * 10 + intDigits[g + 3]))
        }
        var weight = groups.count - 1
        for g in stride(from: 0, to: fracDigits.count, by: 4) {
            groups.append(Int16(fracDigits[g] * 1000 + fracDigits[g + 1] * 100 + fracDigits[g + 2] * 10 + fracDigits[g + 3]))
        }
        // Strip leading and trailing zero groups (the weight follows the first non-zero group).
        while let first = groups.first, first == 0 {
            groups.removeFirst()
            weight -= 1
        }
        while let last = groups.last, last == 0 { groups.removeLast() }
        if groups.isEmpty { weight = 0 }
        int32(Int32(8 + 2 * groups.count))
        int16(Int16(groups.count))
        int16(Int16(weight))
        int16(negative && !groups.isEmpty ? 0x4000 : 0)
        int16(Int16(dscale))
        for g in groups { int16(g) }
    }
}
