import Foundation
import PipelineCore
import Pipelines
import Sources
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
        }
        var cases: [String: [String: Table]]
    }

    static let inputs: String = {
        // Tests/PipelinesTests/DltCompatibilityTests.swift -> repository root -> ../shared
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.deletingLastPathComponent().path + "/shared/dlt_cases/inputs"
    }()

    static let expected: Expected = {
        let url = Bundle.module.url(forResource: "dlt_expected", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }()

    static var caseNames: [String] { expected.cases.keys.sorted() }

    @Test(arguments: caseNames)
    func matchesDlt(file: String) async throws {
        let path = Self.inputs + "/" + file
        try #require(FileManager.default.fileExists(atPath: path), "missing input \(path)")
        let t = TestPipeline()
        try await t.pipeline.run(Source(name: "f", resources: [try FileResource.make(name: "data", paths: [path])]))
        let schema = try await t.schema()
        let want = Self.expected.cases[file]!
        #expect(Set(schema.dataTables.map(\.name)) == Set(want.keys), "tables of \(file)")
        for (name, table) in want {
            guard let ours = schema.table(named: name) else { continue }
            let ourColumns = Dictionary(uniqueKeysWithValues: ours.columns.map { ($0.name, $0.dataType.rawValue) })
            #expect(ourColumns == table.columns, "columns of \(file) / \(name)")
            #expect(try t.count(name) == table.rows, "rows of \(file) / \(name)")
        }
    }
}
