extension PackageFileReader {
    /// The key of id `id` in this file's key table (see ``forEachFlatField(_:)``).
    public func key(_ id: Int) -> String { keys[id] }

    /// Walks the frame ``advance()`` read when it is a binary row of scalars (a CSV record, a flat row a
    /// source wrote): `body` gets each field's key, as its id in the file's key table (``key(_:)``), and
    /// its value read in place, in order, and returns `false` to stop. Keys first written in this frame
    /// join the key table; ``currentRow(exactFloats:)`` can still decode the frame afterwards. Returns
    /// `false` when the frame is JSON text, holds an object or a list, is malformed, or `body` stopped.
    public func forEachFlatField(_ body: (Int, FieldPayload) -> Bool) -> Bool {
        guard !lastRowWasJSON else { return false }
        return frame.withUnsafeBufferPointer { p -> Bool in
            let n = p.count
            var i = 0
            func varint() -> Int? {
                var result = 0, shift = 0
                while i < n, shift < 63 {
                    let b = p[i]
                    i += 1
                    result |= Int(b & 0x7f) << shift
                    if b < 0x80 { return result }
                    shift += 7
                }
                return nil
            }
            func fixed64() -> UInt64? {
                guard i + 8 <= n else { return nil }
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(p[i + k]) << (8 * UInt64(k)) }
                i += 8
                return v
            }
            func slice() -> UnsafeBufferPointer<UInt8>? {
                guard let length = varint(), length <= n - i else { return nil }
                defer { i += length }
                return UnsafeBufferPointer(rebasing: p[i..<(i + length)])
            }
            guard n > 0, p[0] == PackageFile.Tag.object.rawValue else { return false }
            i = 1
            guard let count = varint() else { return false }
            for _ in 0..<count {
                guard let tag = varint() else { return false }
                let id: Int
                if tag & 1 == 1 {
                    id = tag >> 1
                    guard id < keys.count else { return false }
                } else {
                    let length = tag >> 1
                    guard length <= n - i else { return false }
                    keys.append(String(decoding: UnsafeBufferPointer(rebasing: p[i..<(i + length)]), as: UTF8.self))
                    i += length
                    id = keys.count - 1
                }
                guard i < n, let valueTag = PackageFile.Tag(rawValue: p[i]) else { return false }
                i += 1
                let value: FieldPayload
                switch valueTag {
                case .null: value = .null
                case .falseValue: value = .bool(false)
                case .trueValue: value = .bool(true)
                case .bigint: guard let v = fixed64() else { return false }; value = .bigint(Int64(bitPattern: v))
                case .double: guard let v = fixed64() else { return false }; value = .double(Double(bitPattern: v))
                case .date: guard let v = fixed64() else { return false }; value = .date(Int32(truncatingIfNeeded: Int64(bitPattern: v)))
                case .timestamp: guard let v = fixed64() else { return false }; value = .timestamp(Int64(bitPattern: v))
                case .decimal: guard let s = slice() else { return false }; value = .decimal(s)
                case .text, .plainText: guard let s = slice() else { return false }; value = .text(s)
                case .binary: guard let s = slice() else { return false }; value = .binary(s)
                case .object, .array, .jsonObject, .uncheckedJSONLines, .sourceFile, .linkedSourceFile, .linkedJSONLines, .scaledDouble, .smallBigint:
                    return false
                }
                guard body(id, value) else { return false }
            }
            return i == n
        }
    }
}
