import Foundation
import Testing

/// `-v` logs each stage's start and end; a terminal gets a live progress line, a pipe or `--quiet` none.
@Suite("sluice command: progress")
struct ProgressCLITests {
    let cli = CLITests()

    func project(rows: Int) throws -> String {
        let dir = try cli.scratch()
        let lines = (0..<rows).map { #"{"id":\#($0),"name":"n\#($0)","tags":["a","b"]}"# }.joined(separator: "\n") + "\n"
        _ = FileManager.default.createFile(atPath: dir + "/big.jsonl", contents: Data(lines.utf8))
        return dir
    }

    @Test func verboseLogsEveryStageStartAndEnd() throws {
        let dir = try project(rows: 20_000)
        let result = try cli.sluice(["load", "big.jsonl", "--table", "big", "-v"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("extract: started"))
        #expect(result.output.contains("extract: finished in") && result.output.contains("(20000 rows, "), "\(result.output)")
        for stage in ["normalize", "load"] {
            #expect(result.output.contains("\(stage): started") && result.output.contains("finished in"), "\(stage): \(result.output)")
        }
        #expect(!result.output.contains("\u{1B}[K"), "no live line into a pipe")
        let quiet = try cli.sluice(["load", "big.jsonl", "--table", "other"], in: dir)
        #expect(!quiet.output.contains("extract: started"), "without -v, no stage lines")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) (util-linux) for a terminal"))
    func aTerminalGetsALiveLineUnlessQuiet() throws {
        let dir = try project(rows: 50_000)
        func onTerminal(_ args: String) throws -> String {
            try cli.run("/usr/bin/script", ["-qec", "\(CLITests.binary) \(args)", "/dev/null"], in: dir).output
        }
        let live = try onTerminal("load big.jsonl --table big")
        #expect(live.contains("\u{1B}[Kextract ") && live.contains(" rows/s"), "\(live)")
        #expect(live.contains("big: 50000 rows"))
        let quiet = try onTerminal("load big.jsonl --table other --quiet")
        #expect(quiet.contains("other: 50000 rows") && !quiet.contains("\u{1B}[K"), "\(quiet)")
    }
}
