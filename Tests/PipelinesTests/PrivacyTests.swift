import Foundation
import PipelineCore
import Pipelines
import Sources
import Testing

@Suite("privacy hints on real SQLite")
struct PrivacyTests {
    static let ssn = "ssn-123-45-6789-raw"
    static let email = "ann.raw@example.org"

    /// Every byte Sluice wrote for this pipeline: the database and every package file.
    func everythingWritten(_ t: TestPipeline) throws -> [UInt8] {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: t.destination.path)))
        let root = t.dir + "/.sluice"
        for case let file as String in FileManager.default.enumerator(atPath: root)! {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + file, isDirectory: &isDir), !isDir.boolValue {
                bytes += [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/" + file)))
            }
        }
        return bytes
    }

    func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard haystack.count >= n.count else { return false }
        return (0...(haystack.count - n.count)).contains { i in haystack[i] == n[0] && Array(haystack[i..<(i + n.count)]) == n }
    }

    @Test func excludedAndHashedValuesNeverReachDiskRaw() async throws {
        var configuration = Pipeline.Configuration()
        let t = TestPipeline()
        configuration.workingDirectory = t.dir + "/.sluice"
        configuration.hashSalt = "pepper"
        let pipeline = Pipeline(name: "test", destination: t.destination, configuration: configuration)
        var hints = ResourceHints()
        hints.columns["ssn"] = ColumnHint(privacy: .exclude)
        hints.columns["contact.email"] = ColumnHint(privacy: .hash)
        let rows: [Row] = [
            ["id": 1, "ssn": .text(Self.ssn), "contact": .object(["email": .text(Self.email)])],
            ["id": 2, "ssn": .text(Self.ssn), "contact": .object(["email": .text(Self.email)])],
            ["id": 3, "contact": .object(["email": .null])],
        ]
        // Through the JSON fast path too: privacy forces values to be read before anything is stored.
        let file = t.file("p.jsonl", "{\"id\":4,\"ssn\":\"\(Self.ssn)\",\"contact\":{\"email\":\"\(Self.email)\"}}\n")
        _ = try await pipeline.run(Source(name: "s", resources: [
            Resource(name: "people", hints: hints) { out in try await out.write(contentsOf: rows) },
            try FileResource.make(name: "people", paths: [file], hints: hints),
        ]))
        #expect(try !t.columns("people").contains("ssn"))
        let hashes = try t.query("SELECT contact__email FROM people ORDER BY id").map { $0[0] }
        let expected = SHA256.hex("pepper" + Self.email)
        #expect(hashes == [expected, expected, nil, expected])
        let written = try everythingWritten(t)
        #expect(!contains(written, Self.ssn))
        #expect(!contains(written, Self.email))
    }

    @Test func hashingWithoutASaltIsRefused() async throws {
        let t = TestPipeline()
        var hints = ResourceHints()
        hints.columns["email"] = ColumnHint(privacy: .hash)
        await #expect {
            try await t.run("people", [["email": "x@y"]], hints: hints)
        } throws: { "\($0)".contains("needs a salt") && "\($0)".contains("PRIVACY__SALT") }
    }
}
