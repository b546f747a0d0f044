import PipelineCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams the records of a CSV file (RFC 4180): a header row, `"` quoted fields that may hold
/// separators, doubled quotes and newlines; an empty unquoted field is null. The separator is
/// ``Options/delimiter``, else the one of `,` `;` tab `|` the header row uses most (`,` when none).
///
/// Column types are inferred from the first ``Options/sampleRows`` records (the narrowest of bigint,
/// double, bool, date, timestamp, else text, that every sampled value fits), unless given in
/// ``Options/columnTypes``. A later value that does not fit an inferred type keeps its own type (the
/// normalizer puts it in a variant column); one that does not fit a *given* type is an error.
public struct CSVReader: Sendable {
    public struct Options: Sendable {
        /// Types for columns by header name; these are enforced.
        public var columnTypes: [String: DataType] = [:]
        /// The field separator; `nil` detects it from the header row.
        public var delimiter: UInt8?
        public var sampleRows = 1000
        /// Bytes read at a time; memory stays near this plus the longest record.
        public var chunkSize = 1 << 20
        /// Whether records after the sample take the typed path (``EncodedRow``s); tests turn it off to
        /// compare with the `String` per field path, which stays for given `json` columns.
        var typedPath = true
        /// A delimiter as a person writes it: one ASCII character other than a quote or a line end, or `tab`.
        public static func delimiter(parsing text: String) throws -> UInt8 {
            let bytes = Array((text == "tab" || text == "\\t" ? "\t" : text).utf8)
            guard bytes.count == 1, bytes[0] < 0x80, ![0x22, 0x0A, 0x0D].contains(bytes[0]) else {
                throw SluiceError(.configuration, """
                    the CSV delimiter must be one ASCII character other than a quote or a line end (such as , ; | or tab), \
                    not \(text.debugDescription)
                    """)
            }
            return bytes[0]
        }

        public init(columnTypes: [String: DataType] = [:], delimiter: UInt8? = nil) {
            self.columnTypes = columnTypes
            self.delimiter = delimiter
        }
    }

    public let path: String
    public let options: Options

    public init(path: String, options: Options = Options()) {
        self.path = path
        self.options = options
    }

    struct FieldRef {
        var start: Int
        var end: Int
        var quoted: Bool
        var hasDoubledQuotes: Bool
    }

    /// Emits every record as a ``Row``.
    public func read(_ emit: (Row) async throws -> Void) async throws {
        try await read(encoded: nil, emit)
    }

    /// Streams rows into `out`. When `out` is an ``EncodedRowWriter`` (the engine's writer), the records
    /// after the sample go as ``EncodedRow``s: fields parsed from their bytes, with no `String` per field.
    public func read(into out: any RowWriter) async throws {
        try await read(encoded: out as? any EncodedRowWriter) { try await out.write($0) }
    }

    /// Reads the file; records after the sample are encoded (``encode(_:_:line:columns:into:)``) and go to
    /// `encoded` when given, else to `emit` decoded. The sample goes to `emit` as rows.
    func read(encoded: (any EncodedRowWriter)?, _ emit: (Row) async throws -> Void) async throws {
        var buffer = ChunkBuffer(try openByteStream(path: path), chunkSize: options.chunkSize)
        var line = 1
        var header: [String]?
        var types: [DataType?] = []
        var sample: [(line: Int, fields: [Value])] = []
        var sampling = true
        var fields: [FieldRef] = []
        // Set once the types are known: the columns of the typed path (no nested values: no given json type).
        var columns: [Column]?
        var record = EncodedRow(keys: EncodedRow.Keys([]))

        func typed(_ raw: [Value], _ recordLine: Int) throws -> Row {
            var row = Row()
            row.fields.reserveCapacity(raw.count)
            for (k, v) in raw.enumerated() {
                row.fields.append(Row.Field(header![k], try convert(v, to: types[k], column: header![k], line: recordLine)))
            }
            return row
        }

        _ = try buffer.fill()
        if buffer.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { buffer.start = 3 }
        let delimiter = options.delimiter ?? Self.detectDelimiter(buffer.bytes[buffer.start...])
        while true {
            // Parse as many complete records as the buffer holds.
            while true {
                let parsed: (Int, Int)?
                do {
                    parsed = try parseRecord(buffer.bytes, from: buffer.start, atEnd: buffer.atEnd, delimiter: delimiter, into: &fields)
                } catch var error as SluiceError {
                    error.line = line
                    throw error
                }
                guard let (next, newlines) = parsed else { break }
                let recordLine = line
                line += newlines
                buffer.start = next
                if fields.count == 1, fields[0].start == fields[0].end, !fields[0].quoted {
                    continue  // blank line
                }
                guard let names = header else {
                    header = Self.distinct(try fields.map { f in try text(buffer.bytes, f, line: recordLine) })
                    types = header!.map { options.columnTypes[$0] }
                    continue
                }
                guard fields.count == names.count else {
                    throw SluiceError(.badInput, "expected \(names.count) fields as in the header, found \(fields.count)",
                                      file: path, line: recordLine)
                }
                if let columns {
                    try encode(buffer.bytes, fields, line: recordLine, columns: columns, into: &record)
                    if let encoded {
                        try await placing(file: path, line: recordLine) { try await encoded.write(encoded: record) }
                    } else {
                        let row = try record.decoded()
                        try await placing(file: path, line: recordLine) { try await emit(row) }
                    }
                    continue
                }
                var values: [Value] = []
                values.reserveCapacity(fields.count)
                for (k, f) in fields.enumerated() {
                    values.append(try rawValue(buffer.bytes, f, line: recordLine, column: names[k],
                                               given: options.columnTypes[names[k]], inferring: sampling))
                }
                if sampling {
                    sample.append((recordLine, values))
                    if sample.count >= options.sampleRows {
                        sampling = false
                        inferTypes(sample.map(\.fields), into: &types)
                        for s in sample { try await placing(file: path, line: s.line) { try await emit(try typed(s.fields, s.line)) } }
                        sample = []
                        if options.typedPath, !options.columnTypes.values.contains(.json) {
                            columns = names.indices.map { Column(name: names[$0], type: types[$0], given: options.columnTypes[names[$0]]) }
                            record = EncodedRow(keys: EncodedRow.Keys(names))
                        }
                    }
                } else {
                    try await placing(file: path, line: recordLine) { try await emit(try typed(values, recordLine)) }
                }
            }
            if !(try buffer.fill()) && buffer.start >= buffer.bytes.count { break }
        }
        // An empty file (no header row) holds zero rows, as an empty JSON Lines file does.
        if sampling {
            inferTypes(sample.map(\.fields), into: &types)
            for s in sample { try await placing(file: path, line: s.line) { try await emit(try typed(s.fields, s.line)) } }
        }
    }

    /// Finds the record starting at `from`; returns the index after it and the newlines it spans,
    /// or `nil` when the buffer ends inside it (and more input may follow).
    func parseRecord(_ b: [UInt8], from: Int, atEnd: Bool, delimiter: UInt8, into fields: inout [FieldRef]) throws -> (Int, Int)? {
        fields.removeAll(keepingCapacity: true)
        let n = b.count
        if from >= n { return nil }
        return try b.withUnsafeBufferPointer { p -> (Int, Int)? in
            var i = from
            var newlines = 0
            while true {
                // One field.
                if i < n, p[i] == 0x22 {
                    var j = i + 1
                    var doubled = false
                    var closed = false
                    while j < n {
                        let c = p[j]
                        if c == 0x22 {
                            if j + 1 < n, p[j + 1] == 0x22 {
                                doubled = true
                                j += 2
                                continue
                            }
                            if j + 1 >= n && !atEnd { return nil }
                            closed = true
                            break
                        }
                        if c == 0x0A { newlines += 1 }
                        j += 1
                    }
                    if !closed {
                        if !atEnd { return nil }
                        throw SluiceError(.badInput, "a quoted field is not closed", file: path, line: nil)
                    }
                    fields.append(FieldRef(start: i + 1, end: j, quoted: true, hasDoubledQuotes: doubled))
                    i = j + 1
                    // After the closing quote: a delimiter, a line end, or the end.
                    if i < n, p[i] != delimiter, p[i] != 0x0A, p[i] != 0x0D {
                        throw SluiceError(.badInput, "unexpected character after a closing quote", file: path, line: nil)
                    }
                } else {
                    var j = i
                    while j < n {
                        let c = p[j]
                        if c == delimiter || c == 0x0A || c == 0x0D { break }
                        j += 1
                    }
                    if j >= n && !atEnd { return nil }
                    fields.append(FieldRef(start: i, end: j, quoted: false, hasDoubledQuotes: false))
                    i = j
                }
                if i >= n { return (i, newlines) }
                let c = p[i]
                if c == delimiter {
                    i += 1
                    if i >= n && !atEnd { return nil }
                    continue
                }
                // Line end: \n, \r\n or \r.
                if c == 0x0D {
                    if i + 1 >= n && !atEnd { return nil }
                    i += (i + 1 < n && p[i + 1] == 0x0A) ? 2 : 1
                } else {
                    i += 1
                }
                return (i, newlines + 1)
            }
        }
    }

    func text(_ b: [UInt8], _ f: FieldRef, line: Int) throws -> String {
        let slice = b[f.start..<f.end]
        var bytes = Array(slice)
        if f.hasDoubledQuotes {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var k = 0
            while k < bytes.count {
                out.append(bytes[k])
                k += (bytes[k] == 0x22 && k + 1 < bytes.count && bytes[k + 1] == 0x22) ? 2 : 1
            }
            bytes = out
        }
        guard let s = bytes.withUnsafeBufferPointer({ UTF8Text.string($0) }) else {
            throw SluiceError(.badInput, "invalid UTF-8", file: path, line: line)
        }
        return s
    }

    /// The value of one field: null, or parsed by the given type, or (while sampling) by its own look.
    func rawValue(_ b: [UInt8], _ f: FieldRef, line: Int, column: String, given: DataType?,
                          inferring: Bool) throws -> Value
    {
        if f.start == f.end && !f.quoted { return .null }
        let s: String
        do { s = try text(b, f, line: line) } catch var e as SluiceError {
            e.column = column
            throw e
        }
        if f.quoted && s.isEmpty { return .text("") }
        if let given {
            guard let v = Value.text(s).coerced(to: given) else {
                throw SluiceError(.badInput, "cannot read \(Self.excerpt(s)) as \(given.rawValue)", file: path,
                                  line: line, column: column)
            }
            return v
        }
        return .text(s)
    }

    /// Chooses each column's type from the sampled values: the narrowest type every non-null value fits
    /// without changing what it says (``Value/exactNumber(_:)``: `02116` stays text, a 20-digit integer
    /// or a 25-digit decimal is an exact `decimal`, never a rounded double).
    func inferTypes(_ rows: [[Value]], into types: inout [DataType?]) {
        for k in types.indices where types[k] == nil {
            var allInt = true, allDouble = true, allNumber = true, allBool = true, allDate = true, allTemporal = true
            var seen = false
            for row in rows {
                guard case .text(let s) = row[k] else { continue }
                seen = true
                if allNumber {
                    switch Value.exactNumber(s) {
                    case .bigint(let i)?:
                        if i.magnitude >= 1 << 53 { allDouble = false }  // an integer a double would round
                    case .double?: allInt = false
                    case .decimal?: allInt = false; allDouble = false
                    default: allInt = false; allDouble = false; allNumber = false
                    }
                }
                if allBool, !["true", "false"].contains(s.lowercased()) { allBool = false }
                if allDate || allTemporal {
                    switch Timestamps.parse(s) {
                    case .date: break
                    case .timestamp: allDate = false
                    case nil: allDate = false; allTemporal = false
                    }
                }
                if !allNumber && !allBool && !allTemporal { break }
            }
            if !seen { types[k] = nil; continue }
            types[k] = allInt ? .bigint : allDouble ? .double : allNumber ? .decimal : allBool ? .bool : allDate ? .date
                : allTemporal ? .timestamp : .text
        }
    }

    /// A sampled or streamed value in its column's inferred type; a value that does not fit it exactly
    /// keeps its own type (the normalizer puts it in a variant column).
    func convert(_ v: Value, to type: DataType?, column: String, line: Int) throws -> Value {
        guard case .text(let s) = v else { return v }
        guard let type else { return Self.inferOne(s) }
        switch type {
        case .text: return v
        case .bigint, .double, .decimal:
            let own = Self.inferOne(s)
            if own.dataType == type { return own }
            if type == .decimal, Value.exactNumber(s) != nil { return .decimal(s) }
            if type == .double, case .bigint(let i) = own, i.magnitude < 1 << 53 { return .double(Double(i)) }
            return own
        default:
            return Value.text(s).coerced(to: type) ?? Self.inferOne(s)
        }
    }

    /// The type a single text value looks like (numbers only when exact: see ``Value/exactNumber(_:)``).
    static func inferOne(_ s: String) -> Value {
        if let n = Value.exactNumber(s) { return n }
        switch s.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: break
        }
        switch Timestamps.parse(s) {
        case .date(let d): return .date(d)
        case .timestamp(let t): return .timestamp(t)
        case nil: return .text(s)
        }
    }

    /// The separator a header row uses: the most frequent of `,` `;` tab `|` outside quotes, `,` if none.
    static func detectDelimiter(_ bytes: ArraySlice<UInt8>) -> UInt8 {
        let candidates: [UInt8] = [0x2C, 0x3B, 0x09, 0x7C]
        var counts = [Int](repeating: 0, count: candidates.count)
        var quoted = false
        for b in bytes {
            if b == 0x22 { quoted.toggle() }
            if quoted { continue }
            if b == 0x0A || b == 0x0D { break }
            if let k = candidates.firstIndex(of: b) { counts[k] += 1 }
        }
        let best = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!
        return counts[best] > 0 ? candidates[best] : 0x2C
    }

    /// Header names made distinct: a name given again becomes `name_2`, `name_3`, ... (the first free one),
    /// so two columns of one header never become one column and lose a value.
    static func distinct(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.map { name in
            var unique = name
            var n = 2
            while seen.contains(unique) {
                unique = name + "_" + String(n)
                n += 1
            }
            seen.insert(unique)
            return unique
        }
    }

    static func excerpt(_ s: String) -> String {
        s.count <= 40 ? "'\(s)'" : "'\(s.prefix(37))...'"
    }
}
