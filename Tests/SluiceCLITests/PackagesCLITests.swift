import Foundation
import Testing

/// Items 9 and 10 of issue 9 through the real binary: `sluice packages`, errors printed once and
/// escaped, `--delimiter`, and a load with no new rows.
@Suite("sluice command: packages and errors")
struct PackagesCLITests {
    let cli = CLITests()

    func scratch() throws -> String { try cli.scratch() }

    @Test func aRejectedPackageIsSetAsideListedAndDropped() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try cli.sqlite(dir + "/people.sqlite", "CREATE TABLE people (id INTEGER, name TEXT CHECK (length(name) < 5))")
        _ = FileManager.default.createFile(atPath: dir + "/bad.jsonl", contents: Data((#"{"id":1,"name":"Alexandra"}"# + "\n").utf8))
        _ = FileManager.default.createFile(atPath: dir + "/good.jsonl", contents: Data((#"{"id":2,"name":"Ann"}"# + "\n").utf8))
        let bad = try cli.sluice(["load", "bad.jsonl", "--table", "people"], in: dir)
        #expect(bad.status != 0)
        #expect(bad.output.contains("set aside"), "\(bad.output)")
        // The next load is not blocked.
        let good = try cli.sluice(["load", "good.jsonl", "--table", "people"], in: dir)
        #expect(good.status == 0, "\(good.output)")
        #expect(try cli.sqlite(dir + "/people.sqlite", "select group_concat(name) from people") == "Ann")
        let listed = try cli.sluice(["packages", "people"], in: dir)
        #expect(listed.status == 0, "\(listed.output)")
        #expect(listed.output.contains("failed at load  people 1 row"), "\(listed.output)")
        #expect(listed.output.contains("error: load: ") && listed.output.contains("CHECK constraint"))
        let id = try #require(listed.output.split(separator: "\n").first { $0.contains("failed at load") }?
            .split(separator: " ").first.map(String.init))
        let dropped = try cli.sluice(["packages", "people", "--drop", id], in: dir)
        #expect(dropped.status == 0 && dropped.output.contains("package \(id) dropped"), "\(dropped.output)")
        #expect(try cli.sluice(["packages", "people"], in: dir).output.contains("no pending or failed packages"))
        let again = try cli.sluice(["packages", "people", "--retry", id], in: dir)
        #expect(again.status != 0 && again.output.contains("has no failed package \(id)"))
    }

    @Test func errorsArePrintedOnceWithControlBytesEscaped() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/e.jsonl", contents: Data(#"{"a":1}"#.utf8 + [0x0A] + #"{"a":"#.utf8 + [0x1B, 0x7D, 0x0A]))
        let result = try cli.sluice(["load", "e.jsonl", "--table", "events"], in: dir)
        #expect(result.status != 0)
        #expect(result.output.hasPrefix("Error: normalize: e.jsonl:2: malformed JSON: unexpected control character U+001B at byte 6; nothing of the package was loaded"), "\(result.output)")
        #expect(!result.output.contains("error: "))
        #expect(!result.output.utf8.contains(0x1B))
    }

    /// Characters that would change how the rest of the line reads (a right-to-left override, a zero-width
    /// space) are printed escaped too.
    @Test func invisibleCharactersInErrorsArePrintedEscaped() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/e.jsonl", contents: Data("{\"a\":\u{202E}1}\n{\"b\":\u{200B}}\n".utf8))
        let result = try cli.sluice(["load", "e.jsonl", "--table", "events"], in: dir)
        #expect(result.status != 0)
        #expect(result.output.contains("unexpected character '\\u{202e}' (U+202E) at byte 6"), "\(result.output)")
        #expect(!result.output.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x200B })
    }

    @Test func aSemicolonCSVLoadsWithAndWithoutTheDelimiterFlag() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/s.csv", contents: Data("id;price;note\n1;2,50;a\n2;3,75;b\n".utf8))
        let detected = try cli.sluice(["load", "s.csv", "--table", "s"], in: dir)
        #expect(detected.status == 0, "\(detected.output)")
        #expect(try cli.sqlite(dir + "/s.sqlite", "select group_concat(price, '|') from s") == "2,50|3,75")
        _ = FileManager.default.createFile(atPath: dir + "/p.csv", contents: Data("id|a,b\n1|x\n".utf8))
        let given = try cli.sluice(["load", "p.csv", "--table", "p", "--delimiter", "|"], in: dir)
        #expect(given.status == 0, "\(given.output)")
        #expect(try cli.sqlite(dir + "/p.sqlite", "select a_b from p") == "x")
        let wrong = try cli.sluice(["load", "p.csv", "--table", "p", "--delimiter", "ab"], in: dir)
        #expect(wrong.status != 0 && wrong.output.contains("one ASCII character"))
    }

    @Test func aLoadWithNoNewRowsSaysSoAndAddsNoLoad() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/d.jsonl", contents: Data((1...3).map { #"{"id":\#($0),"seq":\#($0)}"# }.joined(separator: "\n").utf8))
        let args = ["load", "d.jsonl", "--table", "t", "--incremental", "seq"]
        #expect(try cli.sluice(args, in: dir).status == 0)
        let second = try cli.sluice(args, in: dir)
        #expect(second.status == 0 && second.output.contains("no new rows"), "\(second.output)")
        #expect(try cli.sqlite(dir + "/t.sqlite", "select count(*) from _dlt_loads") == "1")
        #expect(try cli.sqlite(dir + "/t.sqlite", "select count(*) from t") == "3")
    }
}
