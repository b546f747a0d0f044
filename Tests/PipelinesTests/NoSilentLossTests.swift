import Foundation
import PipelineCore
import Pipelines
import Sources
import Testing

/// The faults of "no silent loss or corruption", each with its small input and the right value, on real
/// SQLite files.
@Suite("no silent loss: merges, empty files, names, exact values")
struct NoSilentLossTests {
    func merge(_ strategy: MergeStrategy, key: [String]) -> ResourceHints {
        var h = ResourceHints(writeDisposition: .merge, primaryKey: key)
        h.mergeStrategy = strategy
        return h
    }

    func rows(_ t: TestPipeline, _ sql: String) throws -> [[String]] {
        try t.query(sql).map { $0.map { $0 ?? "NULL" } }
    }

    /// Loads a file through the files source, as `sluice load` does.
    @discardableResult
    func load(_ t: TestPipeline, _ table: String, file name: String, _ text: String,
              hints: ResourceHints = ResourceHints(), csv: CSVReader.Options = CSVReader.Options()) async throws -> LoadInfo
    {
        let path = t.file(name, text)
        return try await t.pipeline.run(Source(name: "files", resources: [
            try FileResource.make(name: table, paths: [path], hints: hints, csv: csv),
        ]))
    }

    // MARK: 1. scd2 versions that come back

    @Test func scd2VersionThatComesBackKeepsOneCopyOfItsChildRows() async throws {
        let t = TestPipeline()
        let h = merge(.scd2, key: ["nk"])
        let load1 = "{\"nk\":1,\"c1\":\"foo\",\"tags\":[\"a\",\"b\"]}\n{\"nk\":2,\"c1\":\"bar\",\"tags\":[\"c\"]}\n"
        try await load(t, "dim", file: "load1.jsonl", load1, hints: h)
        try await load(t, "dim", file: "load2.jsonl", "{\"nk\":2,\"c1\":\"bar\",\"tags\":[\"c\"]}\n", hints: h)
        try await load(t, "dim", file: "load3.jsonl", load1, hints: h)
        #expect(try rows(t, "SELECT value FROM dim__tags ORDER BY value") == [["a"], ["b"], ["c"]])
        #expect(try t.scalar("SELECT count(*) - count(DISTINCT _dlt_id) FROM dim__tags") == "0")
        #expect(try rows(t, """
            SELECT x.value FROM dim d JOIN dim__tags x ON x._dlt_parent_id = d._dlt_id
            WHERE d.nk = 1 AND d._dlt_valid_to IS NULL ORDER BY x.value
            """) == [["a"], ["b"]])
        #expect(try rows(t, "SELECT nk, _dlt_valid_to IS NULL FROM dim ORDER BY _dlt_valid_from, nk")
            == [["1", "0"], ["2", "1"], ["1", "1"]])
    }

    @Test func scd2ChangeAndRevertAndIdenticalRowsInOneLoad() async throws {
        let t = TestPipeline()
        let h = merge(.scd2, key: [])
        let a: Row = ["nk": 1, "c1": "A", "tags": .array(["x", "y"])]
        try await t.run("dim", [a, a], hints: h)  // identical rows: one version
        try await t.run("dim", [["nk": 1, "c1": "B", "tags": .array(["z"])]], hints: h)
        try await t.run("dim", [a], hints: h)
        #expect(try rows(t, "SELECT c1, _dlt_valid_to IS NULL FROM dim ORDER BY _dlt_valid_from")
            == [["A", "0"], ["B", "0"], ["A", "1"]])
        #expect(try rows(t, "SELECT value FROM dim__tags ORDER BY value") == [["x"], ["y"], ["z"]])
        #expect(try rows(t, """
            SELECT x.value FROM dim d JOIN dim__tags x ON x._dlt_parent_id = d._dlt_id
            WHERE d._dlt_valid_to IS NULL ORDER BY x.value
            """) == [["x"], ["y"]])
    }

    // MARK: 2. one key twice in a batch

    @Test(arguments: [MergeStrategy.deleteInsert, .upsert, .scd2])
    func aKeyTwiceInABatchKeepsTheLastRowAndOnlyItsChildren(strategy: MergeStrategy) async throws {
        let t = TestPipeline()
        let batch = "{\"id\":1,\"v\":\"first\",\"tags\":[\"a\",\"b\"]}\n{\"id\":2,\"v\":\"x\",\"tags\":[]}\n{\"id\":1,\"v\":\"second\",\"tags\":[\"c\"]}\n"
        try await load(t, "items", file: "batch.jsonl", batch, hints: merge(strategy, key: ["id"]))
        let current = strategy == .scd2 ? " WHERE _dlt_valid_to IS NULL" : ""
        #expect(try rows(t, "SELECT id, v FROM items\(current) ORDER BY id") == [["1", "second"], ["2", "x"]])
        #expect(try rows(t, "SELECT value FROM items__tags") == [["c"]])
        #expect(try rows(t, "SELECT count(*) FROM items__tags x LEFT JOIN items i ON x._dlt_parent_id = i._dlt_id WHERE i._dlt_id IS NULL") == [["0"]])
    }

    @Test func aKeyTwiceInOneJSONObjectKeepsTheLastValue() async throws {
        let t = TestPipeline()
        try await load(t, "dup", file: "dup.jsonl", "{\"a\":\"x\",\"a\":3,\"n\":{\"b\":1,\"b\":2}}\n")
        #expect(try t.columns("dup").filter { !$0.hasPrefix("_dlt") } == ["a", "n__b"])
        #expect(try rows(t, "SELECT a, n__b FROM dup") == [["3", "2"]])
    }

    // MARK: 3. empty files

    @Test(arguments: [("empty.jsonl", ""), ("blank.jsonl", "\n\n"), ("empty.json", ""), ("list.json", "[]"),
                      ("empty.csv", ""), ("header.csv", "id,tags\n")])
    func replaceFromAnEmptyFileEmptiesTheTableAndItsChildren(file: String, text: String) async throws {
        let t = TestPipeline()
        let replace = ResourceHints(writeDisposition: .replace)
        try await t.run("snap", [["id": 1, "tags": .array(["a"])], ["id": 2, "tags": .array(["b"])]], hints: replace)
        let info = try await load(t, "snap", file: file, text, hints: replace)
        #expect(info.description.contains("snap: replaced by no rows (emptied, its child tables too)"), "\(info)")
        #expect(try t.count("snap") == 0)
        #expect(try t.count("snap__tags") == 0)
    }

    @Test(arguments: [WriteDisposition.append, .merge])
    func appendOrMergeFromAnEmptyFileLoadsNothing(disposition: WriteDisposition) async throws {
        let t = TestPipeline()
        let h = ResourceHints(writeDisposition: disposition, primaryKey: ["id"])
        try await t.run("items", [["id": 1]], hints: h)
        let info = try await load(t, "items", file: "empty.jsonl", "", hints: h)
        #expect(try t.count("items") == 1)
        #expect(info.packages.allSatisfy { $0.rowCounts.allSatisfy { $0.rows == 0 } })
        #expect(info.description.contains("no new rows"))
    }

    // MARK: 4. keys that normalize to one name

    /// Colliding keys of every kind: every source value ends up in its own column.
    @Test(arguments: [
        #"{"id":1,"na!e":"Max","na%e":"Germany"}"#,
        #"{"Id":"upper","id":"lower"}"#,
        #"{"userId":"camel","user_id":"snake","user-id":"kebab","user id":"space"}"#,
        #"{"a__b":"flat","a":{"b":"nested"}}"#,
        #"{"":"empty","  ":"blank","_empty":"literal"}"#,
        #"{"Имя":"Ivan","Фамилия":"Petrov","Город":"Moskva"}"#,
        #"{"Όνομα":"Nikos","Πόλη":"Athina"}"#,
        #"{"名前":"Taro","都市":"Tokyo","x":"latin"}"#,
        #"{"+1":"plus","x1":"x-one","*1":"star"}"#,
    ])
    func collidingKeysKeepEveryValue(json: String) async throws {
        let t = TestPipeline()
        try await load(t, "c", file: "c.jsonl", json + "\n")
        let row = try JSONText.decode(json)
        guard case .object(let source) = row else { Issue.record("not an object"); return }
        var leaves: [String] = []
        func collect(_ v: Value) {
            switch v {
            case .object(let r): r.fields.forEach { collect($0.value) }
            case .text(let s): leaves.append(s)
            case .bigint(let i): leaves.append(String(i))
            default: break
            }
        }
        collect(.object(source))
        let columns = try t.columns("c").filter { !$0.hasPrefix("_dlt") }
        let stored = try t.query("SELECT " + columns.map { "\"\($0)\"" }.joined(separator: ", ") + " FROM c")[0].compactMap { $0 }
        #expect(stored.sorted() == leaves.sorted(), "\(columns)")
    }

    @Test func renamedKeysAreStableAcrossLoadsAndShownInTheLoadInfo() async throws {
        let t = TestPipeline()
        let first = try await load(t, "c", file: "1.jsonl", #"{"na!e":"Max","na%e":"Germany"}"# + "\n")
        #expect(first.description.contains("key 'na%e' -> column na_e_2"))
        // The keys come in the other order, and alone: each still goes to its own column.
        try await load(t, "c", file: "2.jsonl", #"{"na%e":"France","na!e":"Eve"}"# + "\n" + #"{"na%e":"Spain"}"# + "\n")
        #expect(try rows(t, "SELECT na_e, na_e_2 FROM c ORDER BY _dlt_load_id, na_e_2")
            == [["Max", "Germany"], ["Eve", "France"], ["NULL", "Spain"]])
        #expect(try await t.schema().table(named: "c")?.column(named: "na_e_2")?.sourceKey == ["na%e"])
    }

    @Test func nonLatinCSVHeadersStayDistinguishable() async throws {
        let t = TestPipeline()
        try await load(t, "people", file: "p.csv", "Имя,Фамилия,Город\nИван,Петров,Москва\n")
        #expect(try t.columns("people").filter { !$0.hasPrefix("_dlt") } == ["ima", "familia", "gorod"])
        #expect(try rows(t, "SELECT ima, familia, gorod FROM people") == [["Иван", "Петров", "Москва"]])
    }

    @Test func aCSVHeaderGivingANameTwiceKeepsBothColumns() async throws {
        let t = TestPipeline()
        try await load(t, "d", file: "dup.csv", "a,a,A,,, ,b\n1,2,3,4,5,6,7\n")
        let columns = try t.columns("d").filter { !$0.hasPrefix("_dlt") }
        let stored = try t.query("SELECT " + columns.map { "\"\($0)\"" }.joined(separator: ", ") + " FROM d")[0].compactMap { $0 }
        #expect(stored.sorted() == ["1", "2", "3", "4", "5", "6", "7"], "\(columns)")
    }

    @Test func dataKeysNamedLikeSystemColumnsKeepTheirValues() async throws {
        let t = TestPipeline()
        // The second row lacks the keys: their columns are the data's, so they may be null (they were NOT NULL).
        let info = try await load(t, "t", file: "t.jsonl", #"{"id":1,"_dlt_id":"fake","_dlt_load_id":"fakeload"}"# + "\n" + #"{"id":2}"# + "\n")
        #expect(try rows(t, "SELECT _dlt_id_2, _dlt_load_id_2 FROM t ORDER BY id") == [["fake", "fakeload"], ["NULL", "NULL"]])
        #expect(try t.scalar("SELECT _dlt_id FROM t") != "fake")
        #expect(info.description.contains("key '_dlt_id' -> column _dlt_id_2 (_dlt_id is sluice's own column)"))
    }

    @Test(arguments: ["_dlt_pipeline_state", "_dlt_loads", "_DLT_version"])
    func aTableNamedLikeASystemTableIsRefusedBeforeAnythingIsWritten(table: String) async throws {
        let t = TestPipeline()
        await #expect { try await load(t, table, file: "x.jsonl", "{\"id\":1}\n") } throws: { error in
            "\(error)".contains("is reserved: names starting with _dlt are dlt's system tables")
        }
        let pending = (try? FileManager.default.contentsOfDirectory(atPath: t.dir + "/.sluice/test/packages/extracted")) ?? []
        #expect(pending.isEmpty)
        try await t.run("ok", [["id": 1]])  // the pipeline is not stuck
        #expect(try t.count("ok") == 1)
    }

    @Test func resourcesWhoseTablesNormalizeToOneNameAreRefused() async throws {
        let t = TestPipeline()
        let a = t.file("a.jsonl", "{\"id\":1}\n"), b = t.file("b.jsonl", "{\"id\":2}\n")
        await #expect { try await t.pipeline.run(Source(name: "files", resources: [
            try FileResource.make(name: "a-b", paths: [a]), try FileResource.make(name: "A_B", paths: [b]),
        ])) } throws: { "\($0)".contains("tables 'a-b' and 'A_B' both normalize to a_b: rename one") }
    }

    @Test func scd2DeduplicatesABatchByTheKeyAsTheColumnHoldsIt() async throws {
        let t = TestPipeline()
        let batch = #"{"a":"1","b":"2","v":1}"# + "\n" + #"{"a":"1","b":"2","v":2}"# + "\n" + #"{"a":1,"b":"2","v":3}"# + "\n"
        try await load(t, "k", file: "k.jsonl", batch, hints: merge(.scd2, key: ["a"]))
        #expect(try rows(t, "SELECT a, v FROM k WHERE _dlt_valid_to IS NULL") == [["1", "3"]])
    }

    @Test func aNumberTooSmallForADoubleIsAnErrorNotAZero() async throws {
        let t = TestPipeline()
        await #expect { try await load(t, "n", file: "n.jsonl", "{\"x\":1e-400}\n") } throws: { "\($0)".contains("a number is too close to zero for a 64-bit float (it would read as 0)") }
        try await load(t, "z", file: "z.jsonl", "{\"x\":0e-400,\"y\":0.0}\n")
        #expect(try t.typedValues("z", "x") == [.double(0)])
        // The same once the table has a decimal column (numbers are then read as their exact text): not 0.
        await #expect {
            try await load(t, "d", file: "d.jsonl", "{\"x\":0.5}\n{\"d\":123456789012345678901234567890}\n{\"x\":1e-400}\n")
        } throws: { "\($0)".contains("d.jsonl:3: a number is too close to zero for a 64-bit float (it would read as 0)") }
    }

    @Test func settingsThatCannotWorkTogetherAreRefusedWhenTheSourceIsBuilt() throws {
        func build(_ table: String) throws {
            _ = try FilesSource.build(pipeline: "p", settings: Data(#"{"tables": {"t": \#(table)}}"#.utf8))
        }
        #expect { try build(#"{"path": "a.jsonl", "write_disposition": "merge"}"#) } throws: { "\($0)".contains("needs primary_key or merge_key") }
        #expect { try build(#"{"path": "a.jsonl", "paths": ["b.jsonl"]}"#) } throws: { "\($0)".contains("give path or paths, not both") }
        #expect { try build(#"{"path": "a.jsonl", "primary_key": ["id"], "exclude": ["id"]}"#) } throws: { "\($0)".contains("exclude drops id, a key column") }
        #expect(throws: Never.self) { try build(#"{"path": "a.jsonl", "write_disposition": "merge", "merge_strategy": "scd2"}"#) }
    }

    // MARK: 5, 6. exact values

    @Test func csvInferenceNeverChangesWhatAValueSays() async throws {
        let t = TestPipeline()
        try await load(t, "codes", file: "codes.csv", """
            id,zip,sku,big,long,price,neg
            1,02116,007,12345678901234567890,3.14159265358979323846,9.99,-0.5
            2,90210,120,42,2.5,10,-1

            """)
        #expect(try t.typedValues("codes", "zip") == [.text("02116"), .text("90210")])
        #expect(try t.typedValues("codes", "sku") == [.text("007"), .text("120")])
        #expect(try await t.type("codes", "big") == .decimal)
        #expect(try t.typedValues("codes", "big") == [.text("12345678901234567890"), .text("42")])
        #expect(try await t.type("codes", "long") == .decimal)
        #expect(try t.typedValues("codes", "long") == [.text("3.14159265358979323846"), .text("2.5")])
        #expect(try await t.type("codes", "price") == .double)
        #expect(try t.typedValues("codes", "price") == [.double(9.99), .double(10)])
        #expect(try t.typedValues("codes", "neg") == [.double(-0.5), .double(-1)])
        #expect(try t.typedValues("codes", "id") == [.bigint(1), .bigint(2)])
    }

    @Test func jsonIntoADecimalColumnIsExact() async throws {
        let t = TestPipeline()
        var h = ResourceHints()
        h.columns["amount"] = ColumnHint(dataType: .decimal)
        try await load(t, "pay", file: "pay.jsonl", """
            {"amount":123456789.123456789,"rate":0.30000000000000004,"other":1.0000000000000000001}
            {"amount":1e-7,"rate":2.5,"other":3}

            """, hints: h)
        #expect(try t.typedValues("pay", "amount") == [.text("123456789.123456789"), .text("1e-7")])
        // Columns that are not decimal stay doubles, as inferred from JSON.
        #expect(try await t.type("pay", "rate") == .double)
        #expect(try t.typedValues("pay", "rate") == [.double(0.30000000000000004), .double(2.5)])
        #expect(try await t.type("pay", "other") == .double)
    }

    /// A decimal column made by a row of the file (a 30-digit integer) keeps the exact digits of the rows
    /// after it, as it does for rows of a later load (they were rounded through a double).
    @Test func aDecimalColumnMadeInThisLoadIsExactForTheRowsAfterIt() async throws {
        let t = TestPipeline()
        try await load(t, "t", file: "a.jsonl", """
            {"id":1,"d":123456789012345678901234567890}
            {"id":2,"d":0.1000000000000000055511151231257827}
            {"id":3,"d":123456789.123456789123}

            """)
        #expect(try await t.type("t", "d") == .decimal)
        #expect(try t.typedValues("t", "d") == [.text("123456789012345678901234567890"),
                                                .text("0.1000000000000000055511151231257827"), .text("123456789.123456789123")])
    }

    /// A column hinted bigint whose first value is not a number is still a bigint column; the value goes to
    /// a variant column (the column used to take the value's type, the hint ignored).
    @Test func aHintedTypeHoldsWhenTheFirstValueDoesNotFitIt() async throws {
        let t = TestPipeline()
        var h = ResourceHints()
        h.columns["n"] = ColumnHint(dataType: .bigint)
        try await load(t, "t", file: "a.jsonl", """
            {"id":1,"n":"hello"}
            {"id":2,"n":"42"}

            """, hints: h)
        #expect(try await t.type("t", "n") == .bigint)
        #expect(try t.typedValues("t", "n") == [.null, .bigint(42)])
        #expect(try await t.type("t", "n__v_text") == .text)
        #expect(try t.typedValues("t", "n__v_text") == [.text("hello"), .null])
    }

    // MARK: 7. text into an existing timestamp column

    @Test func textCoercesIntoATimestampColumnAsDltDoes() async throws {
        let t = TestPipeline()
        try await t.run("ev", [["at": "2021-10-13T13:49:32Z"]])
        try await t.run("ev", [["at": "20211013T134932Z"], ["at": "1634132972"], ["at": "2021/10/13 13:49:32"], ["at": "soon"]])
        #expect(try rows(t, "SELECT at FROM ev WHERE at IS NOT NULL") == Array(repeating: ["2021-10-13T13:49:32+00:00"], count: 4))
        #expect(try rows(t, "SELECT at__v_text FROM ev WHERE at__v_text IS NOT NULL") == [["soon"]])
    }
}
