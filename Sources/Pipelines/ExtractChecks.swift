import PipelineCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks rows at extract, while the reader still knows the file and line, for what would fail later:
/// text the destination cannot hold (NUL in Postgres text) and merge keys that are null, missing, or of
/// a type the key column cannot take.
///
/// A value type with no I/O; ``ExtractWriter`` runs it on every row it writes.
struct ExtractChecks {
    /// The destination's name, for messages.
    let destination: String
    let forbidsNUL: Bool
    /// Key columns of a merge (primary and merge keys), as the resource names them.
    let keys: [String]
    /// The type each key column has in the stored schema, or had in the first row that held it.
    private var keyTypes: [String: DataType]

    init(destination: String, limits: DestinationLimits, table: String, hints: ResourceHints, schema: Schema?) {
        self.destination = destination
        forbidsNUL = !limits.textHoldsNUL
        keys = hints.writeDisposition == .merge ? Array(Set(hints.primaryKey + hints.mergeKey)).sorted() : []
        var types: [String: DataType] = [:]
        if let table = schema?.table(named: Naming.normalizePath(table)) {
            for key in keys {
                if let column = table.column(named: Naming.normalizePath(key)) { types[key] = column.dataType }
            }
        }
        keyTypes = types
    }

    /// Whether ``check(_:)`` needs a row's values at all.
    var isActive: Bool { forbidsNUL || !keys.isEmpty }

    /// Whether a row given as JSON text needs decoding to be checked (its text may hold an escaped NUL).
    func needsDecoding(_ json: UnsafeBufferPointer<UInt8>) -> Bool {
        !keys.isEmpty || (forbidsNUL && Self.mayHoldNUL(json))
    }

    /// Throws a ``SluiceError`` naming the column when the row cannot be loaded as it is.
    mutating func check(_ row: Row) throws {
        if forbidsNUL, let path = Self.pathOfNUL(in: .object(row), path: "") {
            throw SluiceError(.badInput, "text holds a NUL character (\\u0000), which \(destination) cannot store",
                              stage: "extract", column: path)
        }
        for key in keys {
            guard let value = CursorTracker.lookup(key, in: row) else {
                throw SluiceError(.badInput, "a key column of a merge is missing", stage: "extract", column: key)
            }
            guard let type = value.dataType else {
                throw SluiceError(.badInput, "a key column of a merge is null", stage: "extract", column: key)
            }
            guard let expected = keyTypes[key] else {
                keyTypes[key] = type
                continue
            }
            if type != expected, value.coerced(to: expected) == nil {
                throw SluiceError(.badInput, """
                    a key column of a merge holds a \(type.rawValue) value where the column is \(expected.rawValue) \
                    (a key cannot go to a variant column)
                    """, stage: "extract", column: key)
            }
        }
    }

    /// The dotted path of the first text value (or key) holding U+0000, or `nil`.
    static func pathOfNUL(in value: Value, path: String) -> String? {
        switch value {
        case .text(let s):
            return s.utf8.contains(0) ? path : nil
        case .object(let row):
            for field in row.fields {
                let p = path.isEmpty ? field.name : path + "." + field.name
                if field.name.utf8.contains(0) { return p }
                if let hit = pathOfNUL(in: field.value, path: p) { return hit }
            }
            return nil
        case .array(let items):
            for item in items { if let hit = pathOfNUL(in: item, path: path) { return hit } }
            return nil
        default:
            return nil
        }
    }

    /// Valid JSON holds NUL only as the escape `\u0000`: a cheap scan (memchr to each backslash) says
    /// whether to look closer.
    static func mayHoldNUL(_ json: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = json.baseAddress else { return false }
        var i = 0
        while i + 6 <= json.count, let hit = memchr(base + i, 0x5C, json.count - i) {
            let k = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
            if k + 6 <= json.count, json[k + 1] == 0x75, json[k + 2] == 0x30, json[k + 3] == 0x30, json[k + 4] == 0x30,
                json[k + 5] == 0x30
            {
                return true
            }
            i = k + 2  // past the escaped character
        }
        return false
    }
}
