import Foundation
import PipelineCore
import Pipelines
import Sources
import SluiceTesting
import Testing

/// Loads dlt's own test inputs (`../shared/dlt_cases/inputs`) and compares tables, columns, types and
/// row counts with what dlt 1.31 produced for the same files (`Fixtures/dlt_expected.json`, written by
/// `scripts/dlt_compat.py`).
@Suite("dlt compatibility")
struct DltCompatibilityTests {
    struct Expected: Decodable {
        struct Table: Decodable {
            var columns: [String: String]
            var rows: Int
            var digests: [String: String]
        }
        var cases: [String: [String: Table]]
    }

    /// dlt's inputs, in `../shared` beside the repository (not in a fresh clone: then these tests are skipped, or fail under CI).
    static let material = "dlt_cases/inputs"

    static let expected: Expected = {
        let url = Bundle.module.url(forResource: "dlt_expected", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }()

    static var caseNames: [String] { expected.cases.keys.sorted() }

    @Test(.enabled(if: SharedMaterial.shouldRun("dlt_cases/inputs"), "needs ../shared/dlt_cases/inputs beside the repository"), arguments: caseNames)
    func matchesDlt(file: String) async throws {
        let path = try SharedMaterial.require(Self.material) + "/" + file
        try #require(FileManager.default.fileExists(atPath: path), "missing input \(path)")
        let t = TestPipeline()
        _ = try await t.pipeline.run(Source(name: "f", resources: [try FileResource.make(name: "data", paths: [path])]))
        let schema = try await t.schema()
        let want = Self.expected.cases[file]!
        #expect(Set(schema.dataTables.map(\.name)) == Set(want.keys), "tables of \(file)")
        for (name, table) in want {
            guard let ours = schema.table(named: name) else { continue }
            let ourColumns = Dictionary(uniqueKeysWithValues: ours.columns.map { ($0.name, $0.dataType.rawValue) })
            #expect(ourColumns == table.columns, "columns of \(file) / \(name)")
            #expect(try t.count(name) == table.rows, "rows of \(file) / \(name)")
            for (column, want) in table.digests {
                guard let type = ours.column(named: column)?.dataType else { continue }
                let values = try t.typedValues(name, column).map { Self.canonical($0, type) }
                #expect(Self.digest(values) == want, "values of \(file) / \(name).\(column): \(values.prefix(3))")
            }
        }
    }

    /// The text dlt's script (`scripts/dlt_compat.py`, `canonical`) writes for the same value.
    static func canonical(_ v: Value, _ type: DataType) -> String {
        switch (v, type) {
        case (.null, _): return "\u{2205}"
        case (.bigint(let i), .bool): return i != 0 ? "true" : "false"
        case (.bigint(let i), _): return String(i)
        case (.double(let d), _): return d.description
        case (.text(let s), .timestamp):
            guard case .timestamp(let micros) = Timestamps.parse(s) else { return s }
            let text = Timestamps.formatTimestamp(micros)  // YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00
            let base = String(text.prefix(19))
            let fraction = text.count > 25 ? String(text.dropFirst(20).prefix(6)) : "000000"
            return base + "." + fraction
        case (.text(let s), .json):
            guard let parsed = try? JSONText.decode(s) else { return s }
            return sortedJSON(parsed)
        case (.text(let s), _): return s
        case (.binary(let b), _): return b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        default: return "\(v)"
        }
    }

    /// JSON with sorted keys, as Python's `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.
    static func sortedJSON(_ v: Value) -> String {
        switch v {
        case .object(let row):
            let fields = row.fields.sorted { $0.name.unicodeScalars.lexicographicallyPrecedes($1.name.unicodeScalars) }
            return "{" + fields.map { JSONText.encode(.text($0.name)) + ":" + sortedJSON($0.value) }.joined(separator: ",") + "}"
        case .array(let items): return "[" + items.map(sortedJSON).joined(separator: ",") + "]"
        default: return JSONText.encode(v)
        }
    }

    /// FNV-1a 64 over the values sorted by code point and joined by newlines, as hex.
    static func digest(_ values: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let sorted = values.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        for (k, s) in sorted.enumerated() {
            if k > 0 { h = (h ^ 0x0A) &* 0x100_0000_01B3 }
            for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
