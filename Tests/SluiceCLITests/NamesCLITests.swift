import Foundation
import Testing

/// Pipeline, dataset and table names become paths: unsafe ones are refused before anything is written.
@Suite("sluice command: names")
struct NamesCLITests {
    let cli = CLITests()

    static let unsafe = ["../../../x/tbl", "..", ".", "", "a/b", "two words", String(repeating: "n", count: 300)]

    @Test(arguments: unsafe)
    func anUnsafeNameIsRefusedAndNothingIsWritten(name: String) throws {
        let root = try cli.scratch()
        let dir = root + "/project"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir + "/base.jsonl", contents: Data(#"{"id":1}"#.utf8 + [0x0A]))
        for option in ["--table", "--pipeline", "--dataset"] {
            var args = ["load", "base.jsonl", "--table", "t"]
            if option == "--table" { args[3] = name } else { args += [option, name] }
            let result = try cli.sluice(args, in: dir)
            #expect(result.status != 0)
            #expect(result.output.contains("name '\(name.prefix(40))"), "\(option): \(result.output)")
            #expect(result.output.contains("is not allowed: use 1 to 64 letters, digits, '_' or '-'"))
            #expect(!result.output.contains("NSCocoaErrorDomain"))
        }
        for command in [["state", name], ["show", name], ["schema", name]] {
            let result = try cli.sluice(command, in: dir)
            #expect(result.status != 0 && result.output.contains("pipeline name"), "\(command): \(result.output)")
        }
        // Nothing left the project folder, nothing was written in it but the input.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["project"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["base.jsonl"])
    }

    @Test func safeNamesStillLoad() throws {
        let dir = try cli.scratch()
        _ = FileManager.default.createFile(atPath: dir + "/base.jsonl", contents: Data(#"{"id":1}"#.utf8 + [0x0A]))
        let name = "Events_2024-" + String(repeating: "x", count: 52)
        let result = try cli.sluice(["load", "base.jsonl", "--table", name], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(FileManager.default.fileExists(atPath: dir + "/\(name).sqlite"))
    }
}
