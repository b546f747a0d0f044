import SluiceTesting
import Foundation
import PipelineCore
import Sources
import Testing

/// A fresh temporary folder per test.
func temporaryDirectory() -> String {
    try! TemporaryDirectory.make("reader")
}

func write(_ text: String, to name: String, in dir: String) -> String {
    let path = dir + "/" + name
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

func gzip(_ path: String) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/gzip")
    p.arguments = ["-kf", path]
    try! p.run()
    p.waitUntilExit()
    return path + ".gz"
}

func readAll(_ resource: Resource) async throws -> [Row] {
    let collector = Collector()
    try await resource.produce(collector)
    return collector.rows
}

final class Collector: RowWriter {
    var rows: [Row] = []
    func write(_ row: Row) async throws { rows.append(row) }
}

@Suite("file readers")
struct FileReaderTests {
    @Test func csvQuotedFieldsNullsAndInference() async throws {
        let dir = temporaryDirectory()
        let path = write("""
            id,name,score,ok,day,at,note
            1,"Smith, Jo",1.5,true,2024-01-02,2024-01-02T03:04:05Z,"say ""hi""
            on two lines"
            2,Ann,2,false,2024-01-03,2024-01-03T00:00:00Z,
            3,,,,,,""

            """, to: "people.csv", in: dir)
        let rows = try await readAll(try FileResource.make(name: "people", paths: [path]))
        #expect(rows.count == 3)
        #expect(rows[0]["name"] == .text("Smith, Jo"))
        #expect(rows[0]["note"] == .text("say \"hi\"\non two lines"))
        #expect(rows[0]["id"] == .bigint(1))
        #expect(rows[1]["score"] == .double(2))  // the column is double: 1.5 and 2
        #expect(rows[0]["ok"] == .bool(true))
        #expect(rows[0]["day"] == .date(19724))
        #expect(rows[0]["at"] == .timestamp(1_704_164_645_000_000))
        #expect(rows[2]["name"] == .null)
        #expect(rows[1]["note"] == .null)
        #expect(rows[2]["note"] == .text(""))
    }

    @Test func csvExplicitTypesAreEnforcedWithFileLineAndColumn() async throws {
        let dir = temporaryDirectory()
        let path = write("id,amount\n1,10\n2,ten\n", to: "a.csv", in: dir)
        let resource = try FileResource.make(name: "a", paths: [path], csv: CSVReader.Options(columnTypes: ["amount": .bigint]))
        await #expect {
            _ = try await readAll(resource)
        } throws: { error in
            let e = error as! SluiceError
            return e.file == path && e.line == 3 && e.column == "amount" && "\(e)".contains("cannot read 'ten' as bigint")
        }
    }

    @Test func csvRaggedRowNamesItsLine() async throws {
        let dir = temporaryDirectory()
        let path = write("a,b\n1,2\n3\n", to: "r.csv", in: dir)
        await #expect {
            _ = try await readAll(try FileResource.make(name: "r", paths: [path]))
        } throws: { error in
            let e = error as! SluiceError
            return e.line == 3 && e.file == path && "\(e)".contains("expected 2 fields")
        }
    }

    @Test func gzipCsvStreams() async throws {
        let dir = temporaryDirectory()
        var text = "n,word\n"
        for i in 0..<50_000 { text += "\(i),w\(i % 7)\n" }
        let path = gzip(write(text, to: "big.csv", in: dir))
        let rows = try await readAll(try FileResource.make(name: "big", paths: [path]))
        #expect(rows.count == 50_000)
        #expect(rows.last?["n"] == .bigint(49_999))
        // A name in capitals (as some exports write it) is gzip too.
        let upper = dir + "/BIG.CSV.GZ"
        try FileManager.default.moveItem(atPath: path, toPath: upper)
        #expect(try await readAll(try FileResource.make(name: "big", paths: [upper])).count == 50_000)
    }

    @Test func jsonLinesMalformedLineIsNamed() async throws {
        let dir = temporaryDirectory()
        let path = write("{\"a\":1}\n  \r \n{\"a\":2,}\n", to: "x.jsonl", in: dir)  // a line of white space is blank
        await #expect {
            _ = try await readAll(try FileResource.make(name: "x", paths: [path]))
        } throws: { error in
            let e = error as! SluiceError
            return e.file == path && e.line == 3 && "\(e)".contains("malformed JSON")
        }
    }

    /// Nesting beyond the parser's limit is named as the limit, not as broken JSON.
    @Test func nestingBeyondTheLimitIsNamedSo() async throws {
        let dir = temporaryDirectory()
        let path = write("{\"a\":1}\n{\"a\":" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}\n", to: "deep.jsonl", in: dir)
        await #expect {
            _ = try await readAll(try FileResource.make(name: "x", paths: [path]))
        } throws: { error in
            let e = error as! SluiceError
            return e.file == path && e.line == 2 && e.message.hasPrefix("JSON nesting deeper than 512 levels (the limit) at byte")
        }
    }

    /// A file named .json that holds a value per line: the error says what it is and how to load it.
    @Test func aJSONFileOfJSONLinesSaysHowToLoadIt() async throws {
        let dir = temporaryDirectory()
        let path = write("{\"a\":1}\n{\"a\":2}\n", to: "lines.json", in: dir)
        await #expect {
            _ = try await readAll(try FileResource.make(name: "x", paths: [path]))
        } throws: { error in
            let e = error as! SluiceError
            return e.file == path && e.line == 2 && e.message.contains("unexpected data after the JSON value")
                && e.message.contains("if the file holds one JSON value per line, it is JSON Lines: name it .jsonl, or give format jsonl")
        }
    }

    @Test func invalidUTF8IsAnError() async throws {
        let dir = temporaryDirectory()
        let path = dir + "/bad.jsonl"
        _ = FileManager.default.createFile(atPath: path, contents: Data([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D, 0x0A]))
        await #expect {
            _ = try await readAll(try FileResource.make(name: "bad", paths: [path]))
        } throws: { error in
            "\(error)".contains("invalid UTF-8") && (error as! SluiceError).line == 1
        }
    }

    /// An empty file is zero rows in every format (a replace from it empties the table), never an error.
    @Test(arguments: ["empty.jsonl", "empty.csv", "empty.json", "blank.jsonl", "blank.json"])
    func emptyFilesHoldZeroRows(name: String) async throws {
        let dir = temporaryDirectory()
        let path = write(name.hasPrefix("blank") ? "\n  \n" : "", to: name, in: dir)
        #expect(try await readAll(try FileResource.make(name: "e", paths: [path])).isEmpty)
    }

    @Test func jsonDocumentArrayAndSingleObject() async throws {
        let dir = temporaryDirectory()
        let array = write(#"[ {"a": 1, "s": "x,]}"}, {"a": [2, {"b": "]"}]}, 3 ]"#, to: "arr.json", in: dir)
        let rows = try await readAll(try FileResource.make(name: "arr", paths: [array]))
        #expect(rows.count == 3)
        #expect(rows[0]["s"] == .text("x,]}"))
        #expect(rows[2]["value"] == .bigint(3))
        let single = gzip(write(#"{"only": true}"#, to: "one.json", in: dir))
        #expect(try await readAll(try FileResource.make(name: "one", paths: [single])).first?["only"] == .bool(true))
    }
}

@Suite("CSV scanner, generated and hostile input")
struct CSVPropertyTests {
    /// RFC 4180 quoting, as any CSV writer does it.
    func quote(_ s: String) -> String {
        s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || s.isEmpty
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    @Test func roundTripsGeneratedRecordsAcrossChunkBoundaries() async throws {
        var rng = SplitMix64(seed: 99)
        let alphabet = Array("ab ,\"\n\r\té漢😀x1") + ["\r\n"]
        var expected: [[String]] = []
        var text = "c0,c1,c2\n"
        for _ in 0..<3000 {
            let record = (0..<3).map { _ in
                "t" + String((0..<Int(rng.next() % 12)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            }
            expected.append(record)
            text += record.map(quote).joined(separator: ",") + (rng.next() % 2 == 0 ? "\n" : "\r\n")
        }
        let dir = temporaryDirectory()
        let path = write(text, to: "gen.csv", in: dir)
        // Explicit text types: the point here is the scanner, not inference.
        var options = CSVReader.Options(columnTypes: ["c0": .text, "c1": .text, "c2": .text])
        options.chunkSize = 61  // records and quoted fields straddle reads
        let rows = try await readAll(try FileResource.make(name: "gen", paths: [path], csv: options))
        #expect(rows.count == expected.count)
        for (row, want) in zip(rows, expected) {
            #expect(row.fields.map { if case .text(let s) = $0.value { return s } else { return "?" } } == want)
        }
    }

    @Test func fuzzedInputNeverCrashes() async throws {
        var rng = SplitMix64(seed: 5)
        let dir = temporaryDirectory()
        let pieces: [[UInt8]] = [[0x2C], [0x22], [0x0A], [0x0D], Array("ab".utf8), [0xFF], [0xC3], Array("1.5".utf8)]
        var outcomes = (ok: 0, errors: 0)
        for k in 0..<300 {
            var bytes = Array("a,b\n".utf8)
            for _ in 0..<(rng.next() % 40) { bytes += pieces[Int(rng.next() % UInt64(pieces.count))] }
            let path = dir + "/f\(k).csv"
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            do {
                _ = try await readAll(try FileResource.make(name: "f", paths: [path]))
                outcomes.ok += 1
            } catch is SluiceError {
                outcomes.errors += 1  // a clear error is fine; a crash is not
            }
        }
        #expect(outcomes.ok + outcomes.errors == 300)
        #expect(outcomes.errors > 0 && outcomes.ok > 0)
    }
}


extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
