import Foundation
import SluiceTesting
import Testing

/// The repository passes its own tests alone: material outside it is optional (skipped with a message)
/// except under CI, and the suite's scratch files go to a folder `scripts/test` removes.
@Suite("repository")
struct RepositoryTests {
    @Test func materialOutsideTheRepositoryIsSkippedLocallyAndRequiredUnderCI() throws {
        let missing = "no-such-material-\(UUID().uuidString)"
        #expect(!SharedMaterial.shouldRun(missing, environment: [:]))
        #expect(!SharedMaterial.shouldRun(missing, environment: ["CI": ""]))
        #expect(SharedMaterial.shouldRun(missing, environment: ["CI": "true"]))
        #expect(throws: SharedMaterial.Missing.self) { try SharedMaterial.require(missing) }
        do { _ = try SharedMaterial.require(missing) } catch {
            #expect("\(error)".contains("/shared/\(missing)") && "\(error)".contains("CI is set"))
        }
    }

    @Test func everyTestReachesOutsideTheRepositoryOnlyThroughSharedMaterial() throws {
        let tests = CLITests.repository.appendingPathComponent("Tests")
        let files = FileManager.default.enumerator(atPath: tests.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(files.count > 10)
        for file in files where !file.hasSuffix("RepositoryTests.swift") {
            let text = try String(contentsOfFile: tests.path + "/" + file, encoding: .utf8)
            #expect(!text.contains("\"/shared/"), "\(file) builds a path into ../shared itself")
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES"] != nil, "only under scripts/test"))
    func scriptsTestGivesTheSuiteAScratchFolderItRemoves() {
        let tmp = NSTemporaryDirectory()
        #expect(tmp.contains("/sluice-test."), "TMPDIR is \(tmp)")
        let script = (try? String(contentsOfFile: CLITests.repository.path + "/scripts/test", encoding: .utf8)) ?? ""
        #expect(script.contains("trap 'rm -rf \"$scratch\"' EXIT"))
    }
}
