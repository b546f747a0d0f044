import Foundation
import PipelineCore
import Sources
import Testing

/// Item 10 of issue 9: a byte order mark anywhere, CSV delimiters, numbers out of range, errors of
/// the pipeline placed at the reader's file and line.
@Suite("file readers: BOM, delimiters, placed errors")
struct ReaderInputTests {
    static let bom = "\u{FEFF}"

    @Test(arguments: ["jsonl", "json", "csv"])
    func aByteOrderMarkIsAcceptedInEveryFormat(format: String) async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let body = switch format {
        case "jsonl": #"{"id":1,"name":"a"}"# + "\n" + #"{"id":2,"name":"b"}"# + "\n"
        case "json": #"[{"id":1,"name":"a"},{"id":2,"name":"b"}]"#
        default: "id,name\n1,a\n2,b\n"
        }
        let path = write(Self.bom + body, to: "f." + format, in: dir)
        let rows = try await readAll(try FileResource.make(name: "f", paths: [path]))
        #expect(rows.map { $0.fields.map(\.name) } == [["id", "name"], ["id", "name"]])
        #expect(rows.map { $0["id"] } == [.bigint(1), .bigint(2)])
    }

    @Test(arguments: [(";", "a;b;c\n1;x,y;3\n"), ("\t", "a\tb\tc\n1\tx,y\t3\n"), ("|", "a|b|c\n1|x,y|3\n"),
                      (",", "a,b,c\n1,\"x,y\",3\n"), (";", "\"a,1\";b;c\n1;x,y;3\n")])
    func theDelimiterIsDetectedFromTheHeader(delimiter: String, text: String) async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = write(text, to: "d.csv", in: dir)
        let rows = try await readAll(try FileResource.make(name: "d", paths: [path]))
        #expect(rows.count == 1)
        #expect(rows.first?.fields.count == 3)
        #expect(rows.first?["b"] == .text("x,y"))
        // Detected as if given.
        let given = CSVReader.Options(delimiter: try CSVReader.Options.delimiter(parsing: delimiter))
        #expect(try await readAll(try FileResource.make(name: "d", paths: [path], csv: given)) == rows)
    }

    @Test func aGivenDelimiterWins() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The header has more commas than semicolons, but the file is ;-separated as the user says.
        let path = write("note,with,commas;id\n\"x\";1\n", to: "g.csv", in: dir)
        let options = CSVReader.Options(delimiter: try CSVReader.Options.delimiter(parsing: ";"))
        let rows = try await readAll(try FileResource.make(name: "g", paths: [path], csv: options))
        #expect(rows.first?["note,with,commas"] == .text("x"))
        #expect(rows.first?["id"] == .bigint(1))
        #expect(try CSVReader.Options.delimiter(parsing: "tab") == 0x09)
        #expect { try CSVReader.Options.delimiter(parsing: ";;") } throws: { "\($0)".contains("one ASCII character") }
    }

    @Test func theDelimiterTableSettingReachesTheReader() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = write("a,b|c\n1,2|3\n", to: "t.csv", in: dir)
        func settings(_ delimiter: String) -> Data {
            try! JSONSerialization.data(withJSONObject: ["tables": ["t": ["path": path, "delimiter": delimiter]]])
        }
        let source = try FilesSource.build(pipeline: "p", settings: settings("|"))
        let rows = try await readAll(source.resources[0])
        #expect(rows.first?.fields.map(\.name) == ["a,b", "c"])
        #expect { try FilesSource.build(pipeline: "p", settings: settings("||")) } throws: {
            "\($0)".contains("[pipelines.p.tables.t] delimiter: the CSV delimiter must be one ASCII character")
        }
    }

    @Test func aNumberBeyondADoubleIsOutOfRangeNotMalformed() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let jsonl = write(#"{"x":1}"# + "\n" + #"{"x":-1e400}"# + "\n", to: "n.jsonl", in: dir)
        await #expect { _ = try await readAll(try FileResource.make(name: "n", paths: [jsonl])) } throws: { error in
            let e = error as! SluiceError
            return e.file == jsonl && e.line == 2 && e.message == "a number is out of range (beyond a 64-bit float) at byte 6"
        }
        let json = write("[\n" + #"{"x":1},"# + "\n" + #"{"x":1e400}"# + "\n]", to: "n.json", in: dir)
        await #expect { _ = try await readAll(try FileResource.make(name: "n", paths: [json])) } throws: { error in
            let e = error as! SluiceError
            return e.file == json && e.line == 3 && e.message.hasPrefix("a number is out of range")
        }
        // One too close to zero would read as 0: a value changed silently, and named so.
        let tiny = write(#"{"x":1e-400}"# + "\n", to: "t.jsonl", in: dir)
        await #expect { _ = try await readAll(try FileResource.make(name: "t", paths: [tiny])) } throws: { error in
            (error as! SluiceError).message == "a number is too close to zero for a 64-bit float (it would read as 0) at byte 6"
        }
    }

    @Test func anErrorOfThePipelineGetsTheReadersFileAndLine() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = write("id\n1\n\n2\n3\n", to: "p.csv", in: dir)
        final class Refusing: RowWriter {
            func write(_ row: Row) async throws {
                if row["id"] == .bigint(2) { throw SluiceError(.badInput, "refused", column: "id") }
            }
        }
        await #expect { try await FileResource.make(name: "p", paths: [csv]).produce(Refusing()) } throws: { error in
            let e = error as! SluiceError
            return e.file == csv && e.line == 4 && e.column == "id"
        }
    }
}
