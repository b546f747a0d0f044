import Foundation
import PipelineCore
@testable import Pipelines
import SluiceTesting
import Sources
import Testing

/// The direct path (a row's JSON text or binary frame straight into its normalized frames) must write
/// exactly what the general path (a `Value` tree) writes: the same frames byte for byte, the same schema.
/// Random rows mix
/// what it takes (known keys, values of the column's type or coercible to it, nested objects, empty
/// lists) with what it must hand over (new keys, variants, lists with items, keys given twice or
/// escaped, keys equal only by Unicode equivalence, json columns).
@Suite("Direct normalize path")
struct DirectPathTests {
    /// `count` JSON rows from `seed`.
    /// `flat`: no nested objects or lists, as in CSV records and flat rows.
    static func rows(seed: UInt64, count: Int, flat: Bool = false) -> [String] {
        var random = SplitMix64(seed: seed)
        func pick<T>(_ xs: [T]) -> T { xs[random.next(xs.count)] }
        func space() -> String { random.next(8) == 0 ? pick([" ", "\t", "  "]) : "" }
        // Most rows hold only values of their column's type; an odd row may hold anything.
        var odd = false
        func value(_ key: String) -> String {
            let roll = odd ? random.next(100) : random.next(50)
            switch key {
            case "id": return roll < 90 ? String(random.next(100_000)) : roll < 95 ? "\"\(random.next(99))\"" : "\"x\(roll)\""
            case "amount":
                return roll < 80 ? String(format: "%.2f", Double(random.next(1_000_000)) / 100) : roll < 90 ? String(random.next(50))
                    : roll < 95 ? "\"3.5\"" : "-0.0"
            case "when":
                let day = String(format: "2024-0%d-%02dT%02d:%02d:00", 1 + random.next(9), 1 + random.next(28), random.next(24), random.next(60))
                return roll < 85 ? "\"\(day)\"" : roll < 90 ? "\"\(day).123456+02:00\"" : roll < 95 ? "1700000000" : "\"not a date\""
            case "note":
                return roll < 50 ? "\"plain \(roll)\"" : roll < 70 ? #""tab\there \u00e9 \ud83d\ude00 \"q\"""# : roll < 85 ? "null" : "\"Zürich ✓\""
            case "flag": return roll < 45 ? "true" : roll < 90 ? "false" : roll < 95 ? "null" : "\"yes\""
            case "nested":
                return roll < 70 ? #"{"a": \#(random.next(9)), "b": {"c": "x\#(roll)", "d": null}}"# : roll < 85 ? "{}"
                    : #"{"a": "text", "e": [1, 2]}"#
            case "tags":
                return roll < 30 ? "[]" : roll < 45 ? #"["x", "y"]"# : roll < 50 ? #"[{"k": \#(roll), "sub": {"z": "s"}, "deep": ["p", null]}]"#
                    : roll < 80 ? #"[1, "x", null, {"k": 2}]"# : roll < 90 ? "[[1, 2], []]" : #"[{"k": "text"}]"#
            case "payload": return roll < 50 ? #"{"p": [1, {"q": null}]}"# : "[]"
            case "big": return roll < 90 ? String(random.next(1000)) : "123456789012345678901234567890"
            default: return roll < 80 ? "\"\(roll)\"" : "null"
            }
        }
        let keys = ["id", "amount", "when", "note", "flag", "big", "a-b", "a_b", "_dlt_id", "Ünïcode"] + (flat ? [] : ["nested", "tags"])
        let oddKeys = ["e\u{301}", "\u{e9}"] + (flat ? [] : ["payload"])
        var out: [String] = []
        for _ in 0..<count {
            odd = random.next(4) == 0
            var fields: [String] = []
            var chosen = (odd ? keys + oddKeys : keys).filter { _ in random.next(10) < 9 }
            if odd, random.next(5) == 0 { chosen.shuffle(using: &random) }
            if odd, random.next(10) == 0 { chosen.append("id") }  // a key given twice
            if odd, random.next(10) == 0 { chosen.append("new_\(random.next(5))") }
            for key in chosen {
                let text = odd && random.next(20) == 0 ? key.replacingOccurrences(of: "a", with: "\\u0061") : key
                fields.append("\(odd ? space() : "")\"\(text)\"\(space()):\(space())\(value(key))\(space())")
            }
            out.append("{" + fields.joined(separator: ",") + "}")
        }
        return out
    }

    /// Normalizes `lines` into `dir`, by the direct path where it applies or never; returns the
    /// normalizer, how many rows the direct path took and how many the general path refused. `binary`:
    /// the rows are stored as binary frames
    /// (as a source's `Row`s are), not as JSON text.
    static func normalize(_ lines: [String], direct: Bool, dir: String, hints: ResourceHints, binary: Bool = false) throws
        -> (Normalizer, taken: Int, refused: Int)
    {
        let normalizer = Normalizer(schema: Schema(name: "t"), loadId: "1700000000.000001", directory: dir)
        normalizer.ids = RowIds(seed: 42)
        let table = try normalizer.register(table: "rows", hints: hints)
        let t = normalizer.tableIndex[table]!
        // The extracted package file, as the extract stage writes it.
        let extracted = dir + "/extracted.items"
        let writer = try PackageFileWriter(path: extracted)
        let keys = JSONKeyTable()
        for line in lines {
            let bytes = Array(line.utf8)
            if binary {
                guard case .object(let row) = try bytes.withUnsafeBufferPointer({ try JSONText.decode($0, keys: keys) }) else {
                    Issue.record("not an object: \(line)")
                    continue
                }
                try writer.writeRow(row)
            } else {
                try bytes.withUnsafeBufferPointer { try writer.writeJSONRow($0) }
            }
        }
        try writer.sync()
        let reader = try PackageFileReader(path: extracted)
        normalizer.directBeginFile()
        var taken = 0
        var refused = 0
        while try reader.advance() {
            if direct, normalizer.takesDirectPath(table, exactFloats: false),
               try reader.lastRowWasJSON ? reader.withCurrentJSON({ try normalizer.normalizeDirect($0, table: t) })
                   : normalizer.normalizeDirect(flatRowOf: reader, table: t)
            {
                taken += 1
                continue
            }
            do {
                try normalizer.normalize(try reader.currentRow(), table: table)
            } catch let error as SluiceError where error.code == .badInput {
                refused += 1  // a merge key missing or null (such a load fails; here the rows after it still count)
            }
        }
        try FileManager.default.removeItem(atPath: extracted)
        _ = try normalizer.finish()
        return (normalizer, taken, refused)
    }

    @Test("writes the same frames and schema as the general path", arguments: [(1, false), (2, false), (3, false), (4, true), (5, true)] as [(UInt64, Bool)])
    func sameFrames(seed: UInt64, binary: Bool) throws {
        // Binary frames of flat rows (CSV records, sources' flat rows); nested values take the general path there.
        let lines = Self.rows(seed: seed, count: 3000, flat: binary)
        var upsert = ResourceHints(writeDisposition: .merge, primaryKey: ["id"])
        upsert.mergeStrategy = .upsert
        let merges = binary ? [] : [ResourceHints(writeDisposition: .merge, primaryKey: ["id", "flag"]), upsert]
        for hints in [ResourceHints(), ResourceHints(columns: ["payload": ColumnHint(dataType: .json), "when": ColumnHint(dataType: .text)])] + merges {
            let a = try TemporaryDirectory.make("direct"), b = try TemporaryDirectory.make("general")
            defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
            let (direct, taken, refused) = try Self.normalize(lines, direct: true, dir: a, hints: hints, binary: binary)
            let (general, none, generalRefused) = try Self.normalize(lines, direct: false, dir: b, hints: hints, binary: binary)
            #expect(none == 0)
            #expect(refused == generalRefused)
            // Under merge, the batch dedup recorded the same keys: the same rows are superseded.
            let x = try direct.supersededOrdinals(), y = try general.supersededOrdinals()
            #expect((x == nil) == (y == nil))
            if hints.writeDisposition == .merge { #expect(y != nil, "the mix repeats some ids") }
            if let x, let y {
                for ordinal in 1...lines.count { #expect(try x.contains(ordinal) == y.contains(ordinal), "row \(ordinal)") }
            }
            // The mix sends rows both ways.
            #expect(taken > lines.count / 4, "direct rows: \(taken) of \(lines.count)")
            #expect(taken < lines.count)
            #expect(direct.schema == general.schema)
            let files = try FileManager.default.contentsOfDirectory(atPath: b).sorted()
            #expect(try FileManager.default.contentsOfDirectory(atPath: a).sorted() == files)
            #expect(files.contains("rows.rows") && (binary || files.contains("rows__tags__deep.rows")))
            for file in files {
                // The same fields; the direct path may mark a text as plain (no escaping needed), and only one
                // that is (the general path marks none).
                let x = try Self.fields(a + "/" + file), y = try Self.fields(b + "/" + file)
                let differ = x.fields.indices.first { $0 >= y.fields.count || x.fields[$0] != y.fields[$0] } ?? (x.fields.count < y.fields.count ? x.fields.count : nil)
                #expect(differ == nil, "\(file) differs (seed \(seed)) at field \(differ ?? 0): \(x.fields.dropFirst(differ ?? 0).prefix(3)) against \(y.fields.dropFirst(differ ?? 0).prefix(3))")
                #expect(x.plainWithSpecials == 0 && y.plainTexts == 0, "\(file)")
                if !binary && file == "rows.rows" && hints.columns.isEmpty { #expect(x.plainTexts > 0, "\(file)") }
                // Decimals into a double column go as their digits on the direct path (the same doubles, above).
                if !binary && file == "rows.rows" { #expect(x.scaledDoubles > 0 && y.scaledDoubles == 0, "\(file)") }
            }
        }
    }

    /// Every field of every frame of a normalized file, as text; and how many texts were marked plain, and
    /// how many of those hold a `"`, a `\` or a control character (a JSON file would hold them unescaped);
    /// and how many doubles were stored as their digits (``PackageFile/Tag/scaledDouble``).
    static func fields(_ path: String) throws -> (fields: [String], plainTexts: Int, plainWithSpecials: Int, scaledDoubles: Int) {
        let reader = try PackageFileReader(path: path)
        var out: [String] = []
        var plain = 0, wrong = 0, scaled = 0
        var frame: [UInt8] = []
        while try reader.readFrame(appendingTo: &frame) != nil {
            frame.withUnsafeBufferPointer { p in
                var cursor = FlatRowCursor(p)
                while let (column, value) = cursor.next() {
                    switch value {
                    case .text(let t):
                        if cursor.textIsPlain {
                            plain += 1
                            if t.contains(where: { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }) { wrong += 1 }
                        }
                        out.append("\(column) text \(Array(t))")
                    case .decimal(let t): out.append("\(column) decimal \(Array(t))")
                    case .binary(let t): out.append("\(column) binary \(Array(t))")
                    case .scaledDouble(let m, let k):
                        scaled += 1
                        out.append("\(column) \(FieldPayload.double(FieldPayload.scaledDouble(m, k)))")
                    default: out.append("\(column) \(value)")
                    }
                }
                out.append("|")
            }
            frame.removeAll(keepingCapacity: true)
        }
        return (out, plain, wrong, scaled)
    }

    /// The extract stage stores a file's JSON Lines unchecked: normalize is the check. The direct path must
    /// take no broken row (one it took would load half a row, silently); the general path then reports it.
    /// Rows of every shape above, broken by one edit each (a byte dropped, doubled or inserted, the text
    /// cut short, invalid UTF-8), after the schema has met every key, so the direct path is tried on all.
    @Test("takes no broken row: every row the JSON check refuses goes to the general path, which refuses it")
    func brokenRowsAreNeverTaken() throws {
        let dir = try TemporaryDirectory.make("broken")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let valid = Self.rows(seed: 21, count: 3000)
        let normalizer = Normalizer(schema: Schema(name: "t"), loadId: "1700000000.000001", directory: dir)
        normalizer.ids = RowIds(seed: 42)
        let table = try normalizer.register(table: "rows", hints: ResourceHints())
        let t = normalizer.tableIndex[table]!
        normalizer.directBeginFile()
        for line in valid {
            let bytes = Array(line.utf8)
            if try bytes.withUnsafeBufferPointer({ try normalizer.normalizeDirect($0, table: t) }) { continue }
            guard case .object(let row) = try JSONText.decode(bytes) else { continue }
            try normalizer.normalize(row, table: table)
        }
        var random = SplitMix64(seed: 22)
        let inserted: [UInt8] = Array("{}[],:\"\\ axe0-.+tnu".utf8) + [0x01, 0x0A, 0xC3, 0xE2, 0xFF, 0x80]
        var broken = 0, takenBroken: [String] = []
        for k in 0..<60_000 {
            var bytes = Array(valid[k % valid.count].utf8)
            let at = random.next(bytes.count)
            switch random.next(5) {
            case 0: bytes.remove(at: at)
            case 1: bytes.insert(bytes[at], at: at)
            case 2: bytes.insert(inserted[random.next(inserted.count)], at: at)
            case 3: bytes.removeSubrange(max(1, at)...)
            default: bytes[at] = [0xFF, 0xC0, 0x80, 0xED][random.next(4)]
            }
            guard bytes.first == UInt8(ascii: "{"), (try? bytes.withUnsafeBufferPointer { try JSONText.validate($0) }) == nil else { continue }
            broken += 1
            let taken = (try? bytes.withUnsafeBufferPointer { try normalizer.normalizeDirect($0, table: t) }) ?? false
            if taken { takenBroken.append(String(decoding: bytes, as: UTF8.self)) }
            #expect(throws: JSONText.ParseError.self) { try JSONText.decode(bytes) }
        }
        #expect(broken > 30_000)
        #expect(takenBroken.isEmpty, "\(takenBroken.count) broken rows taken, the first: \(takenBroken.first ?? "")")
        _ = try normalizer.finish()
    }

    /// The same JSON Lines file loaded into real SQLite files with the direct path on and off: the
    /// same tables, columns, types and values.
    @Test("loads the same rows into SQLite with the direct path on and off", arguments: ["rows.jsonl", "rows.csv"])
    func sameRowsLoaded(file: String) async throws {
        let text = file.hasSuffix(".csv") ? Self.csv(seed: 9, count: 2000) : Self.rows(seed: 9, count: 2000).joined(separator: "\n") + "\n"
        var loaded: [[String: [String: [Value]]]] = []
        var types: [[String: DataType]] = []
        for direct in [true, false] {
            let t = TestPipeline()
            defer { try? FileManager.default.removeItem(atPath: t.dir) }
            var configuration = Pipeline.Configuration()
            configuration.workingDirectory = t.dir + "/.sluice"
            configuration.directPath = direct
            let pipeline = Pipeline(name: "test", destination: t.destination, dataset: "test", configuration: configuration)
            let path = t.file(file, text)
            let info = try await pipeline.run(Source(name: "files", resources: [try FileResource.make(name: "rows", paths: [path])]))
            #expect(info.packages.flatMap(\.rowCounts).first { $0.table == "rows" }?.rows == 2000)
            var tables: [String: [String: [Value]]] = [:]
            var columnTypes: [String: DataType] = [:]
            for table in try await t.schema().tables where !table.name.hasPrefix("_dlt") {
                var columns: [String: [Value]] = [:]
                for column in table.columns where column.name != "_dlt_id" && column.name != "_dlt_load_id" && column.name != "_dlt_parent_id" {
                    columns[column.name] = try t.typedValues(table.name, column.name)
                    columnTypes[table.name + "." + column.name] = column.dataType
                }
                tables[table.name] = columns
            }
            loaded.append(tables)
            types.append(columnTypes)
        }
        #expect(types[0] == types[1])
        #expect(loaded[0] == loaded[1])
        #expect(loaded[0]["rows"]?["amount"]?.count == 2000)
    }

    /// `count` CSV records from `seed`: typed columns, empty fields, quoted text, and type drift late in
    /// the file (after the type sample), so some records take the general path.
    static func csv(seed: UInt64, count: Int) -> String {
        var random = SplitMix64(seed: seed)
        var out = "id,amount,when,note,flag\n"
        for k in 0..<count {
            let late = k > count / 2 && random.next(10) == 0
            let amount = late ? "n/a" : random.next(10) == 0 ? "" : String(format: "%.2f", Double(random.next(100_000)) / 100)
            let when = late ? "soon" : String(format: "2024-03-%02dT10:%02d:00", 1 + random.next(28), random.next(60))
            let note = random.next(5) == 0 ? "\"a, \"\"quoted\"\" note\"" : "plain \(random.next(99))"
            out += "\(k),\(amount),\(when),\(note),\(random.next(2) == 0 ? "true" : "false")\n"
        }
        return out
    }
}
