import SluiceTesting
import Destinations
import Foundation
import PipelineCore
import Pipelines
@testable import Sources
import Testing

/// Item 2 of issue 15: CSV records after the type sample are parsed from their bytes into encoded rows.
/// Each test loads the same file into two real SQLite files, once by the typed path and once by the
/// `String` per field path it replaced, and compares every row, value and column type.
@Suite("CSV typed path")
struct CSVTypedPathTests {
    /// A pipeline with a hash salt, loading into a real SQLite file.
    func pipeline(_ t: TestPipeline) -> Pipeline {
        var configuration = Pipeline.Configuration()
        configuration.workingDirectory = t.dir + "/.sluice"
        configuration.hashSalt = "pepper"
        return Pipeline(name: "test", destination: t.destination, dataset: "test", configuration: configuration)
    }

    /// Loads `text` (as `name`, gzipped when it ends in `.gz`) into a fresh pipeline, by the typed path or not.
    func load(_ text: String, name: String = "t.csv", typed: Bool, options: CSVReader.Options = CSVReader.Options(),
              sampleRows: Int = 2, hints: ResourceHints = ResourceHints(), runs: Int = 1) async throws -> TestPipeline
    {
        let t = TestPipeline()
        var path = t.file(name.replacingOccurrences(of: ".gz", with: ""), text)
        if name.hasSuffix(".gz") { path = gzip(path) }
        var options = options
        options.sampleRows = sampleRows
        options.typedPath = typed
        for _ in 0..<runs {
            _ = try await pipeline(t).run(Source(name: "files", resources: [
                try FileResource.make(name: "t", paths: [path], hints: hints, csv: options),
            ]))
        }
        return t
    }

    func gzip(_ path: String) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-f", path]
        try! p.run()
        p.waitUntilExit()
        return path + ".gz"
    }

    typealias Column = (type: DataType?, values: [Value])

    /// Every table's user columns (name and type) and values in load order.
    func contents(_ t: TestPipeline) async throws -> [String: [String: Column]] {
        var out: [String: [String: Column]] = [:]
        for table in try await t.schema().tables where !table.name.hasPrefix("_dlt") {
            var columns: [String: Column] = [:]
            for column in table.columns where !column.name.hasPrefix("_dlt") {
                columns[column.name] = (column.dataType, try t.typedValues(table.name, column.name))
            }
            out[table.name] = columns
        }
        return out
    }

    /// Loads by both paths and expects the same tables, columns, types and values; returns the typed one.
    @discardableResult
    func expectSameByBothPaths(_ text: String, name: String = "t.csv", options: CSVReader.Options = CSVReader.Options(),
                               sampleRows: Int = 2, hints: ResourceHints = ResourceHints(), runs: Int = 1,
                               sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestPipeline
    {
        let typed = try await load(text, name: name, typed: true, options: options, sampleRows: sampleRows, hints: hints, runs: runs)
        let rows = try await load(text, name: name, typed: false, options: options, sampleRows: sampleRows, hints: hints, runs: runs)
        let a = try await contents(typed), b = try await contents(rows)
        #expect(a.keys.sorted() == b.keys.sorted(), sourceLocation: sourceLocation)
        for (table, columns) in b {
            #expect(a[table]?.keys.sorted() == columns.keys.sorted(), "columns of \(table)", sourceLocation: sourceLocation)
            for (name, (type, values)) in columns {
                #expect(a[table]?[name]?.0 == type, "type of \(table).\(name)", sourceLocation: sourceLocation)
                #expect(a[table]?[name]?.1 == values, "values of \(table).\(name)", sourceLocation: sourceLocation)
            }
        }
        return typed
    }

    static let tricky = "\u{FEFF}id;name;score;ok;day;at;note;later\r\n"
        + "1;\"Smith; Jo\";1.5;true;2024-01-02;2024-01-02T03:04:05Z;\"say \"\"hi\"\"\r\non two lines\";\r\n"
        + "2;Ann;2;false;2024-01-03;2024-01-03 00:00:00;;\r\n"
        + "3;;;;;;\"\";7\r\n"
        + "4;\"Zoë \"\"Z\"\"\";-0.25e2;TRUE;2024-02-29;2024-02-29T23:59:59.123456+02:00;\"a\nb\";8\r\n"
        + "abc;\"\";1e400;yes;2024-13-01;1700000000;naïve;x\r\n"
        + "9223372036854775807;Ünïcödé;12345678901234567;False;2021/10/13;2024-03-01;\"\";2024-01-01\r\n"
        + "-0;\"quoted\";0.1;false;2024-03-02;2024-03-02T00:00Z;'single';-9223372036854775808\r\n"
        + "5;x;4503599627370497;true;2024-03-03;2024-03-03T01:02:03;\"\"\"\";\r\n"

    @Test(arguments: [1, 2, 4, 1000])
    func trickyInputGivesTheSameRowsAndTypesByBothPaths(sampleRows: Int) async throws {
        let t = try await expectSameByBothPaths(Self.tricky, sampleRows: sampleRows)
        #expect(try t.count("t") == 8)
        if sampleRows == 2 {
            // Types from the first two records; what drifts after them keeps its own type.
            #expect(try await t.type("t", "id") == .bigint)
            #expect(try await t.type("t", "score") == .double)
            #expect(try await t.type("t", "at") == .timestamp)
            #expect(try t.typedValues("t", "id").prefix(4) == [.bigint(1), .bigint(2), .bigint(3), .bigint(4)])
            #expect(try t.typedValues("t", "id__v_text") == [.null, .null, .null, .null, .text("abc"), .null, .null, .null])
            #expect(try t.typedValues("t", "name") == [
                .text("Smith; Jo"), .text("Ann"), .null, .text("Zoë \"Z\""), .text(""), .text("Ünïcödé"), .text("quoted"), .text("x"),
            ])
            #expect(try t.typedValues("t", "note") == [
                .text("say \"hi\"\r\non two lines"), .null, .text(""), .text("a\nb"), .text("naïve"), .text(""), .text("'single'"),
                .text("\""),
            ])
            #expect(try t.typedValues("t", "score")[3] == .double(-25))
            #expect(try await t.type("t", "ok") == .bool)
            #expect(try t.typedValues("t", "ok")[3] == t.typedValues("t", "ok")[0])  // TRUE as true
        }
    }

    @Test func gzipAndADetectedDelimiterGiveTheSameRowsByBothPaths() async throws {
        var text = "a|b|c\n"
        for k in 0..<300 { text += "\(k)|\(Double(k) / 4)|\(k % 3 == 0 ? "" : "v\(k)")\n" }
        let t = try await expectSameByBothPaths(text, name: "big.csv.gz", sampleRows: 10)
        #expect(try t.count("t") == 300)
        #expect(try t.typedValues("t", "b")[299] == .double(74.75))
    }

    @Test func givenTypesAreEnforcedTheSameByBothPaths() async throws {
        let text = """
            i,d,b,ts,dt,s
            1,1.5,yes,2024-01-02T03:04:05Z,2024-01-02,001
            +5,7,N,2024-01-02,2024-01-02T00:00:00Z,x
            " 7",-2e3,1,1700000000,20240105,"
            "
            0x1F,.5,F,2021/10/13 10:00,2021/10/13,ü

            """
        var options = CSVReader.Options()
        options.columnTypes = ["i": .bigint, "d": .double, "b": .bool, "ts": .timestamp, "dt": .date, "s": .text]
        let t = try await expectSameByBothPaths(text, options: options, sampleRows: 1)
        #expect(try t.typedValues("t", "i") == [.bigint(1), .bigint(5), .bigint(7), .bigint(31)])
        #expect(try t.typedValues("t", "s") == [.text("001"), .text("x"), .text("\n"), .text("ü")])
    }

    /// A date column given by the user takes no time of day: dropping 23:00 would change the value.
    @Test(arguments: [true, false])
    func aTimeOfDayInAGivenDateColumnIsAnError(typed: Bool) async throws {
        var options = CSVReader.Options()
        options.columnTypes = ["dt": .date]
        await #expect {
            try await load("id,dt\n1,2024-01-02\n2,2024-01-02T23:00:00Z\n", typed: typed, options: options, sampleRows: 1)
        } throws: { error in
            guard let e = error as? SluiceError else { return false }
            return e.line == 3 && e.column == "dt" && "\(e)".contains("cannot read '2024-01-02T23:00:00Z' as date")
        }
    }

    @Test func aNULBeforeABoolWordIsText() async throws {
        let t = try await expectSameByBothPaths("b\ntrue\n\u{0}true\nFALSE\n", sampleRows: 1)
        #expect(try await t.type("t", "b") == .bool)
        #expect(try t.columns("t").contains("b__v_text"))
    }

    @Test(arguments: [true, false])
    func aBadValueOfAGivenTypeNamesFileLineAndColumn(typed: Bool) async throws {
        // Line 6 (the quoted newline and CRLF line ends count), column `amount`, after the sample.
        let text = "id,amount\r\n1,10\r\n\"2\n\",20\r\n3,30\r\n4,ten\r\n"
        var options = CSVReader.Options()
        options.columnTypes = ["amount": .bigint]
        await #expect {
            try await load(text, typed: typed, options: options, sampleRows: 1)
        } throws: { error in
            guard let e = error as? SluiceError else { return false }
            return e.file?.hasSuffix("t.csv") == true && e.line == 6 && e.column == "amount"
                && "\(e)".contains("cannot read 'ten' as bigint")
        }
    }

    @Test func invalidUTF8NamesLineAndColumnOnTheTypedPath() async throws {
        let t = TestPipeline()
        var bytes = Array("a,b\n1,x\n2,".utf8)
        bytes += [0xC3, 0x28, 0x0A]
        let path = t.dir + "/bad.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        var options = CSVReader.Options()
        options.sampleRows = 1
        await #expect {
            try await pipeline(t).run(Source(name: "files", resources: [try FileResource.make(name: "t", paths: [path], csv: options)]))
        } throws: { error in
            guard let e = error as? SluiceError else { return false }
            return e.line == 3 && e.column == "b" && "\(e)".contains("invalid UTF-8")
        }
    }

    @Test func hintsActTheSameOnTheTypedPath() async throws {
        var text = "id,updated,email,secret,amount\n"
        for k in 0..<50 { text += "\(k % 20),2024-01-\(10 + k % 15)T00:00:00Z,u\(k)@x.org,s\(k),\(k).5\n" }
        var hints = ResourceHints(writeDisposition: .merge, primaryKey: ["id"], incremental: Incremental(cursor: "updated"))
        hints.columns["email"] = ColumnHint(privacy: .hash)
        hints.columns["secret"] = ColumnHint(privacy: .exclude)
        let t = try await expectSameByBothPaths(text, sampleRows: 5, hints: hints, runs: 2)
        #expect(try t.count("t") == 20)
        #expect(try t.columns("t").contains("secret") == false)
        let hashes = ["u0@x.org", "u20@x.org", "u40@x.org"].map { SHA256.hex("pepper" + $0) }
        #expect(try hashes.contains(t.scalar("SELECT email FROM t WHERE id = 0") ?? ""))
    }

    @Test func nullKeysOfAMergeAreRefusedOnTheTypedPath() async throws {
        let text = "id,v\n1,a\n2,b\n,c\n"
        await #expect {
            try await load(text, typed: true, sampleRows: 1, hints: ResourceHints(writeDisposition: .merge, primaryKey: ["id"]))
        } throws: { error in
            guard let e = error as? SluiceError else { return false }
            return e.line == 4 && e.column == "id" && "\(e)".contains("is null")
        }
    }

    @Test func filesWithDifferentHeadersInOneResourceKeepTheirColumns() async throws {
        var tables: [[String: Column]] = []
        for typed in [true, false] {
            let t = TestPipeline()
            let a = t.file("a.csv", "id,x\n1,a\n2,b\n3,c\n")
            let b = t.file("b.csv", "y,id\n2024-01-01,4\n2024-01-02,5\n,6\n")
            var options = CSVReader.Options()
            options.sampleRows = 1
            options.typedPath = typed
            _ = try await pipeline(t).run(Source(name: "files", resources: [try FileResource.make(name: "t", paths: [a, b], csv: options)]))
            tables.append(try await contents(t)["t"] ?? [:])
        }
        #expect(tables[0]["id"]?.values == [.bigint(1), .bigint(2), .bigint(3), .bigint(4), .bigint(5), .bigint(6)])
        #expect(tables[0]["x"]?.values == [.text("a"), .text("b"), .text("c"), .null, .null, .null])
        #expect(tables[0]["y"]?.type == .date)
        for (name, column) in tables[1] {
            #expect(tables[0][name]?.type == column.type && tables[0][name]?.values == column.values, "\(name)")
        }
    }

    /// The byte parser of numbers agrees with `Value.exactNumber` (and so `strtod`) wherever it decides.
    @Test func theByteNumberParserAgreesWithExactNumber() {
        var generator = SystemRandomNumberGenerator()
        var samples = ["0", "-0", "0.0", "-0.0", "1e5", "1E-5", "2.5e+3", "007", "1.", ".5", "+1", "1e", "-", "9007199254740993",
                       "123456789012345678", "1234567890123456789", "0.1", "0.30000000000000004", "1e22", "1e23", "1e-22",
                       "4.35", "8.13", "63.71", "999999999999999.9", "99999999999999.99", "1.7976931348623157e308"]
        for _ in 0..<20_000 {
            let digits = String(UInt64.random(in: 0...999_999_999_999_999, using: &generator))
            let point = Int.random(in: 0...digits.count, using: &generator)
            var s = digits
            if point < digits.count {
                let whole = digits.prefix(point)
                s = (whole.isEmpty ? "0" : String(whole)) + "." + String(digits.dropFirst(point))
            }
            if Bool.random(using: &generator) { s = "-" + s }
            if Int.random(in: 0..<4, using: &generator) == 0 { s += "e\(Int.random(in: -25...25, using: &generator))" }
            samples.append(s)
        }
        var decided = 0
        for s in samples {
            var text = s
            let fast = text.withUTF8 { CSVReader.exactNumber($0) }
            let reference = Value.exactNumber(s)
            switch fast {
            case .bigint(let i): #expect(reference == .bigint(i), "\(s)"); decided += 1
            case .double(let d): #expect(reference == .double(d), "\(s)"); decided += 1
            case .notNumber: #expect(reference == nil, "\(s)")
            case .undecided: break
            }
        }
        #expect(decided > samples.count / 2)
    }
}

/// A writer that takes encoded rows, counting them.
final class EncodedCollector: EncodedRowWriter {
    var rows: [Row] = []
    var encoded = 0
    func write(_ row: Row) async throws { rows.append(row) }
    func write(encoded row: EncodedRow) async throws {
        encoded += 1
        rows.append(try row.decoded())
    }
}

@Suite("CSV typed path, reader")
struct CSVTypedReaderTests {
    @Test func recordsAfterTheSampleGoAsEncodedRows() async throws {
        let dir = try TemporaryDirectory.make("csv-typed")
        let path = dir + "/t.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data(CSVTypedPathTests.tricky.utf8))
        var options = CSVReader.Options()
        options.sampleRows = 2
        let out = EncodedCollector()
        try await CSVReader(path: path, options: options).read(into: out)
        var rows: [Row] = []
        try await CSVReader(path: path, options: options).read { rows.append($0) }
        #expect(out.encoded == 6)
        #expect(out.rows == rows)
        #expect(rows.count == 8)
    }
}
