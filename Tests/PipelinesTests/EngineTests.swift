import Foundation
import PipelineCore
import Pipelines
import Sources
import Testing

@Suite("engine on real SQLite")
struct EngineTests {
    @Test func infersEveryType() async throws {
        let t = TestPipeline()
        var hints = ResourceHints()
        hints.columns["payload"] = ColumnHint(dataType: .json)
        let row: Row = [
            "big": .bigint(9_007_199_254_740_993), "dbl": .double(1.25), "flag": .bool(true), "txt": "hello",
            "at": "2024-01-02T03:04:05Z", "day": .date(19724), "exact": .decimal("123456789012345678901234567890"),
            "raw": .binary([0, 1, 255]), "payload": .object(["k": .array([1, 2])]), "stamp": .timestamp(0),
        ]
        try await t.run("types", [row], hints: hints)
        let expected: [String: DataType] = [
            "big": .bigint, "dbl": .double, "flag": .bool, "txt": .text, "at": .timestamp, "day": .date,
            "exact": .decimal, "raw": .binary, "payload": .json, "stamp": .timestamp,
        ]
        for (column, type) in expected { #expect(try await t.type("types", column) == type, "\(column)") }
        let values = try t.query("SELECT big, dbl, flag, txt, at, day, exact, hex(raw), payload FROM types")[0]
        #expect(values == ["9007199254740993", "1.25", "1", "hello", "2024-01-02T03:04:05+00:00", "2024-01-02",
                           "123456789012345678901234567890", "0001FF", #"{"k":[1,2]}"#])
    }

    @Test func nestedDataUsesDltsLayout() async throws {
        let t = TestPipeline()
        let row = try JSONText.decode(#"""
            {"id": 1, "User": {"Login": "ann", "Address": {"zip": "1000"}}, "labels": [{"name": "bug"}, {"name": "ui"}],
             "tags": ["a", "b", "c"], "matrix": [[1, 2], [3]], "empty": [], "nothing": null}
            """#)
        guard case .object(let r) = row else { Issue.record("not an object"); return }
        try await t.run("issues", [r])
        #expect(try t.columns("issues") == ["id", "user__login", "user__address__zip", "_dlt_load_id", "_dlt_id"])
        #expect(try t.columns("issues__labels") == ["name", "_dlt_parent_id", "_dlt_list_idx", "_dlt_id"])
        #expect(try t.columns("issues__tags") == ["value", "_dlt_parent_id", "_dlt_list_idx", "_dlt_id"])
        #expect(try t.count("issues__matrix") == 2)
        #expect(try t.count("issues__matrix__list") == 3)
        #expect(try t.query("SELECT value FROM issues__tags ORDER BY _dlt_list_idx").map { $0[0]! } == ["a", "b", "c"])
        // Every child row points at its parent row.
        #expect(try t.scalar("""
            SELECT count(*) FROM issues__labels l JOIN issues i ON l._dlt_parent_id = i._dlt_id
            """) == "2")
        #expect(try t.scalar("""
            SELECT count(*) FROM issues__matrix__list l JOIN issues__matrix m ON l._dlt_parent_id = m._dlt_id
            """) == "3")
        let loadId = try t.scalar("SELECT load_id FROM _dlt_loads")
        #expect(try t.scalar("SELECT _dlt_load_id FROM issues") == loadId)
    }

    @Test func schemaEvolvesAcrossLoads() async throws {
        let t = TestPipeline()
        try await t.run("events", [["id": 1, "kind": "a"]])
        let info = try await t.run("events", [["id": 2, "kind": "b", "extra": 3.5]])
        #expect(try t.columns("events").contains("extra"))
        #expect(try t.query("SELECT id, extra FROM events ORDER BY id").map { $0.map { $0 ?? "NULL" } } == [["1", "NULL"], ["2", "3.5"]])
        #expect(info.packages[0].schemaChanges == ["new column events.extra double"])
        #expect(try await t.schema().version == 2)
    }

    @Test func conflictingTypesGoToVariantColumns() async throws {
        let t = TestPipeline()
        try await t.run("issues", [["id": 1, "comments": 5], ["id": 2, "comments": "17+"], ["id": 3, "comments": "9"]])
        #expect(try await t.type("issues", "comments__v_text") == .text)
        let rows = try t.query("SELECT id, comments, comments__v_text FROM issues ORDER BY id").map { $0.map { $0 ?? "NULL" } }
        // "9" coerces into the bigint column, as in dlt; "17+" cannot and keeps its own type in a variant.
        #expect(rows == [["1", "5", "NULL"], ["2", "NULL", "17+"], ["3", "9", "NULL"]])
    }

    @Test func replaceSwapsTheWholeChain() async throws {
        let t = TestPipeline()
        let hints = ResourceHints(writeDisposition: .replace)
        try await t.run("t", [["id": 1, "xs": .array([1, 2])], ["id": 2, "xs": .array([3])]], hints: hints)
        try await t.run("t", [["id": 3, "xs": .array([4])]], hints: hints)
        #expect(try t.query("SELECT id FROM t").map { $0[0]! } == ["3"])
        #expect(try t.query("SELECT value FROM t__xs").map { $0[0]! } == ["4"])
    }

    @Test func mergeUpdatesInsertsAndCollapsesDuplicates() async throws {
        let t = TestPipeline()
        let hints = ResourceHints(writeDisposition: .merge, primaryKey: ["id"])
        try await t.run("users", [["id": 1, "name": "a", "tags": .array(["x", "y"])], ["id": 2, "name": "b", "tags": .array(["z"])]],
                        hints: hints)
        try await t.run("users", [
            ["id": 1, "name": "a2", "tags": .array(["new"])],
            ["id": 3, "name": "c"],
            ["id": 3, "name": "c-last", "tags": .array(["last"])],
        ], hints: hints)
        #expect(try t.query("SELECT id, name FROM users ORDER BY id").map { $0.map { $0! } } == [["1", "a2"], ["2", "b"], ["3", "c-last"]])
        let tags = try t.query("""
            SELECT u.id, x.value FROM users__tags x JOIN users u ON x._dlt_parent_id = u._dlt_id ORDER BY u.id, x._dlt_list_idx
            """).map { $0.map { $0! } }
        #expect(tags == [["1", "new"], ["2", "z"], ["3", "last"]])
        #expect(try t.count("users__tags") == 3)  // children of replaced and collapsed rows are gone
    }

    @Test func mergeWithoutKeyIsAClearError() async throws {
        let t = TestPipeline()
        await #expect {
            try await t.run("users", [["id": 1]], hints: ResourceHints(writeDisposition: .merge))
        } throws: { "\($0)".contains("merge needs a primary key") }
    }

    @Test func failedLoadLeavesTheDatabaseAsItWas() async throws {
        let t = TestPipeline()
        try await t.run("orders", [["id": 1, "amount": 10], ["id": 2, "amount": 20]])
        // A trigger makes the second load fail part-way through its inserts.
        try t.destination.withConnection {
            try $0.execute("CREATE TRIGGER boom BEFORE INSERT ON orders WHEN NEW.id = 4 BEGIN SELECT RAISE(ABORT, 'boom'); END")
        }
        await #expect(throws: SluiceError.self) {
            try await t.run("orders", [["id": 3, "amount": 30, "note": "new column"], ["id": 4, "amount": 40]])
        }
        #expect(try t.query("SELECT id FROM orders ORDER BY id").map { $0[0]! } == ["1", "2"])
        #expect(try !t.columns("orders").contains("note"))
        #expect(try t.count("_dlt_loads") == 1)
        // The package stays pending; once the fault is gone the next run completes it first.
        try t.destination.withConnection { try $0.execute("DROP TRIGGER boom") }
        let info = try await t.run("orders", [["id": 5, "amount": 50]])
        #expect(info.packages.count == 2 && info.packages[0].resumed)
        #expect(try t.query("SELECT id FROM orders ORDER BY id").map { $0[0]! } == ["1", "2", "3", "4", "5"])
    }

    @Test func badInputLoadsNothingFromThatPackage() async throws {
        let t = TestPipeline()
        let good = t.file("good.jsonl", "{\"id\":1}\n")
        let bad = t.file("bad.jsonl", "{\"id\":2}\n{\"id\":3\n")
        await #expect {
            try await t.pipeline.run(Source(name: "f", resources: [
                try FileResource.make(name: "rows", paths: [good]),
                try FileResource.make(name: "rows", paths: [bad]),
            ]))
        } throws: { error in
            let e = error as! SluiceError
            // The file's rows are stored unchecked at extract and checked as they are normalized.
            return e.file == bad && e.line == 2 && e.stage == "normalize" && e.code == .badInput
                && e.message.contains("unexpected end of input") && e.message.hasSuffix("nothing of the package was loaded, and it was removed: fix the file and run again")
        }
        // No package is kept: nothing in it could load (the fixed file is what to run again).
        let packages = t.dir + "/.sluice/test/packages"
        for stage in ["extracted", "normalized", "failed"] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: packages + "/" + stage).isEmpty, "\(stage)")
        }
        let exists = FileManager.default.fileExists(atPath: t.destination.path)
        #expect(try !exists || t.columns("rows").isEmpty)
        // Nothing was left behind for a later run to load.
        let info = try await t.pipeline.run(Source(name: "f", resources: [try FileResource.make(name: "rows", paths: [good])]))
        #expect(info.packages.count == 1)
        #expect(try t.count("rows") == 1)
    }

    /// Rows are checked as they are normalized, overlapped with the extract stage: a line broken deep in a
    /// file, after thousands of rows took the direct path, is still reported at its line and byte, and
    /// nothing of the file loads.
    @Test func aLineBrokenDeepInAFileIsReportedAtItsLineAndLoadsNothing() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        func text(broken: Bool) -> String {
            (1...20_000).map { i in
                broken && i == 15_000 ? #"{"id": 15000, "name": "cut short"# : #"{"id": \#(i), "name": "row \#(i)", "amount": \#(i).5}"#
            }.joined(separator: "\n") + "\n"
        }
        let path = t.file("rows.jsonl", text(broken: true))
        await #expect {
            try await t.pipeline.run(Source(name: "f", resources: [try FileResource.make(name: "rows", paths: [path])]))
        } throws: { error in
            let e = error as! SluiceError
            return e.file == path && e.line == 15_000 && e.message.contains("malformed JSON: unterminated string at byte 33")
        }
        #expect(try !FileManager.default.fileExists(atPath: t.destination.path) || t.columns("rows").isEmpty)
        let fixed = t.file("rows.jsonl", text(broken: false))
        let info = try await t.pipeline.run(Source(name: "f", resources: [try FileResource.make(name: "rows", paths: [fixed])]))
        #expect(info.packages.count == 1)
        #expect(try t.query("SELECT count(*), sum(amount) FROM rows").first == ["20000", "200020000.0"])
    }

    /// The lines of objects of a file go to the package many at a time (one frame per buffer read): every
    /// other kind of line between them (blank, a scalar, CRLF, leading spaces, a line longer than the
    /// 1 MiB the reader reads at once, no newline at the end) keeps its place, and a broken line after
    /// them is reported at its own line.
    @Test func linesOfObjectsGoInBatchesAndKeepTheirOrderAndLines() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        var lines: [String] = []
        var expected: [String] = []  // ids in order; "v" for a scalar's row
        for i in 1...60_000 {
            switch i % 9_973 {
            case 1: lines.append("")
            case 2: lines.append("  7"); expected.append("v")
            case 3: lines.append(#"   {"id": \#(i), "note": "spaces first"}"#); expected.append("\(i)")
            case 4: lines.append(#"{"id": \#(i), "note": "\#(String(repeating: "x", count: 1_200_000))"}"#); expected.append("\(i)")
            default: lines.append(#"{"id": \#(i), "note": "row \#(i)"}"# + (i % 2 == 0 ? "\r" : "")); expected.append("\(i)")
            }
        }
        func text(breakingLine broken: Int?) -> String {
            var copy = lines
            if let broken { copy[broken - 1] = #"{"id": 0, "note": "cut"# }
            return "\u{FEFF}" + copy.joined(separator: "\n")  // a byte order mark, and no newline at the end
        }
        let path = t.file("rows.jsonl", text(breakingLine: 50_000))
        let source = { Source(name: "f", resources: [try! FileResource.make(name: "rows", paths: [path])]) }
        await #expect {
            try await t.pipeline.run(source())
        } throws: { error in
            let e = error as! SluiceError
            return e.file == path && e.line == 50_000 && e.message.contains("unterminated string at byte 23")
        }
        _ = t.file("rows.jsonl", text(breakingLine: nil))
        _ = try await t.pipeline.run(source())
        let rows = try t.query("SELECT id, value FROM rows ORDER BY rowid").map { $0[0] ?? ($0[1] == "7" ? "v" : "?") }
        #expect(rows == expected)
        #expect(try t.query("SELECT count(*) FROM rows WHERE note LIKE '%\r%'").first == ["0"])
        #expect(try t.query("SELECT length(note) FROM rows WHERE id = 4").first == ["1200000"])
    }

    /// Lines of objects go unchecked to normalize; a line that is not an object is read at extract. When
    /// extract fails (that line is broken, a later file is missing, a gzip stream is corrupt), a broken row
    /// stored unchecked before it is still the error: the first in the input (a record split by a raw
    /// newline breaks both its lines). The file's last line, without a newline, is checked where the others
    /// are; a pipe's rows as a file's.
    @Test func theFirstBrokenLineOfAFileIsTheOneReported() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        func load(_ paths: String...) async throws {
            try await t.pipeline.run(Source(name: "f", resources: [try FileResource.make(name: "rows", paths: paths)]))
        }
        let split = t.file("split.jsonl", "{\"id\": 1}\n{\"id\": 2, \"note\": \"first part\nsecond part\"}\n{\"id\": 3}\n")
        await #expect { try await load(split) } throws: { error in
            let e = error as! SluiceError
            return e.file == split && e.line == 2 && e.message.contains("unterminated string at byte 30")
        }
        var lines = (1...60_000).map { #"{"id": \#($0)}"# }
        lines[29_999] = #"{"id": 30000"#
        lines[49_999] = "tru"
        let far = t.file("far.jsonl", lines.joined(separator: "\n") + "\n")
        await #expect { try await load(far) } throws: { error in
            let e = error as! SluiceError
            return e.file == far && e.line == 30_000 && e.message.contains("unexpected end of input in an object at byte 13")
        }
        let last = t.file("last.jsonl", "{\"id\": 1}\n{\"id\": 2")
        await #expect { try await load(last) } throws: { error in
            let e = error as! SluiceError
            return e.file == last && e.line == 2 && e.stage == "normalize" && e.message.hasSuffix("fix the file and run again")
        }
        // Several files: a later file's error does not hide a broken line of an earlier one.
        let a = t.file("a.jsonl", "{\"id\": 1}\n{\"id\": 2,}\n{\"id\": 3}\n")
        let b = t.file("b.jsonl", "{\"id\": 4}\ntru\n")
        for later in [b, t.dir + "/missing.jsonl"] {
            await #expect { try await load(a, later) } throws: { error in
                let e = error as! SluiceError
                return e.file == a && e.line == 2 && e.message.contains("expected a string key, found character '}' at byte 10")
            }
        }
        // A gzip stream corrupt after a broken line.
        let gzip = CSVTypedPathTests().gzip(t.file("c.jsonl", "{\"id\": 1}\n{\"id\": 2,}\n{\"id\": 3}\n"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: gzip))
        bytes.append(contentsOf: [1, 2, 3, 4, 5])
        try bytes.write(to: URL(fileURLWithPath: gzip))
        await #expect { try await load(gzip) } throws: { error in
            let e = error as! SluiceError
            return e.file == gzip && e.line == 2 && e.message.contains("expected a string key")
        }
        let pipe = t.dir + "/pipe.jsonl"
        #expect(mkfifo(pipe, 0o600) == 0)
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: pipe)
            handle?.write(Data("{\"id\": 1}\n{\"id\": 2\nxx\n".utf8))
            try? handle?.close()
        }
        writer.start()
        await #expect { try await load(pipe) } throws: { error in
            let e = error as! SluiceError
            return e.file == pipe && e.line == 2 && e.message.contains("unexpected end of input")
        }
        #expect(try !FileManager.default.fileExists(atPath: t.destination.path) || t.columns("rows").isEmpty)
    }

    /// A run killed after extracting a broken file (before normalize reached the broken line) leaves a
    /// package of unchecked rows. The next run, with the file fixed, removes that package, says so with the
    /// file and line, and loads the fixed file: it does not fail on a line the file no longer has.
    @Test func aPendingPackageOfBrokenRowsIsRemovedAndTheFixedFileLoads() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let path = t.file("rows.jsonl", "{\"id\": 1}\n{\"id\": 2\n{\"id\": 3}\n")
        let source = { Source(name: "f", resources: [try! FileResource.make(name: "rows", paths: [path])]) }
        let pending = try await t.pipeline.extract(source())  // as a run killed after its extract stage
        _ = t.file("rows.jsonl", "{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3}\n")
        let info = try await t.pipeline.run(source())
        #expect(info.removedBrokenPackages.count == 1)
        #expect(info.removedBrokenPackages.first?.contains("\(path):2: malformed JSON") == true, "\(info.removedBrokenPackages)")
        #expect(info.removedBrokenPackages.first?.contains(pending) == true)
        #expect(info.description.contains("A package left by an earlier run was removed, not loaded: normalize: \(path):2"))
        #expect(!info.loadIds.contains(pending))
        #expect(try t.query("SELECT count(*), sum(id) FROM rows").first == ["3", "6"])
        let packages = t.dir + "/.sluice/test/packages"
        for stage in ["extracted", "normalized", "failed"] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: packages + "/" + stage).isEmpty, "\(stage)")
        }
    }

    /// A JSON Lines file on the file system of the pipeline's working folder is held by its extracted
    /// package through a hard link and the lines' byte ranges, not copied: the package's item file is a few
    /// bytes a megabyte of the file, and the package still loads every row once the file is gone (the link
    /// keeps its data, as a copy would).
    @Test func aPackageHoldsALocalFileByALinkAndLoadsItAfterTheFileIsRemoved() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let path = t.file("rows.jsonl", (1...20_000).map { #"{"id": \#($0), "note": "row \#($0)"}"# }.joined(separator: "\n") + "\n")
        let pending = try await t.pipeline.extract(Source(name: "f", resources: [try FileResource.make(name: "rows", paths: [path])]))
        let folder = t.dir + "/.sluice/test/packages/extracted/" + pending
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        let links = names.filter { $0.hasSuffix(".link") }
        var file = stat(), link = stat(), items = stat()
        #expect(stat(path, &file) == 0 && links.count == 1 && stat(folder + "/" + links[0], &link) == 0)
        #expect(link.st_ino == file.st_ino && link.st_dev == file.st_dev)
        #expect(stat(folder + "/0.items", &items) == 0 && items.st_size < 200, "\(items.st_size) bytes for a \(file.st_size)-byte file")
        try FileManager.default.removeItem(atPath: path)
        try await t.pipeline.normalize()
        #expect(try await t.pipeline.load() == [pending])
        #expect(try t.query("SELECT count(*), sum(id), max(note) FROM rows").first == ["20000", "200010000", "row 9999"])
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    /// A file changed in place after a run extracted it (killed before loading it) would give other rows
    /// than were extracted: the next run removes that package, says so naming the file, and loads the file
    /// as it is now, once. Rewritten and appended to, both.
    @Test func aPendingPackageWhoseLinkedFileChangedIsRemovedAndTheFileLoadsOnce() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let path = t.file("rows.jsonl", "{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3}\n")
        let source = { Source(name: "f", resources: [try! FileResource.make(name: "rows", paths: [path])]) }
        func rewrite(_ text: String, append: Bool) throws {
            let handle = try #require(FileHandle(forWritingAtPath: path))
            if append { try handle.seekToEnd() } else { try handle.truncate(atOffset: 0) }
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }
        var pending = try await t.pipeline.extract(source())
        try rewrite("{\"id\": 10}\n{\"id\": 20}\n", append: false)  // the same file (inode), other rows
        var info = try await t.pipeline.run(source())
        #expect(info.removedBrokenPackages.count == 1)
        #expect(info.removedBrokenPackages.first?.contains("\(path): the file changed after it was extracted and before it was loaded") == true,
                "\(info.removedBrokenPackages)")
        #expect(info.removedBrokenPackages.first?.contains(pending) == true)
        #expect(!info.loadIds.contains(pending))
        #expect(try t.query("SELECT count(*), sum(id) FROM rows").first == ["2", "30"])
        pending = try await t.pipeline.extract(source())
        try rewrite("{\"id\": 30}\n", append: true)
        info = try await t.pipeline.run(source())
        #expect(info.removedBrokenPackages.count == 1 && !info.loadIds.contains(pending))
        #expect(try t.query("SELECT count(*), sum(id) FROM rows").first == ["5", "90"])
        for stage in ["extracted", "normalized", "failed"] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: t.dir + "/.sluice/test/packages/" + stage).isEmpty, "\(stage)")
        }
    }

    /// A run's own package is not dropped because its linked file changed after its extract (a log still
    /// being appended to): it loads the lines the run read. Both when the stages run one after another and
    /// when the overlap steps aside (a replace table): the appending resource runs after the file's.
    @Test func aRunLoadsItsOwnPackageOfAFileAppendedToSinceItsExtract() async throws {
        for (overlap, disposition) in [(false, WriteDisposition.append), (true, .replace)] {
            let t = TestPipeline()
            defer { try? FileManager.default.removeItem(atPath: t.dir) }
            let pipeline = t.pipeline(overlapStages: overlap)
            let path = t.file("log.jsonl", "{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3}\n")
            let appender = Resource(name: "appender") { _ in
                let handle = try #require(FileHandle(forWritingAtPath: path))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data("{\"id\": 4}\n".utf8))
                try handle.close()
            }
            let info = try await pipeline.run(Source(name: "f", resources: [
                try FileResource.make(name: "rows", paths: [path], hints: ResourceHints(writeDisposition: disposition)), appender,
            ]))
            #expect(info.removedBrokenPackages.isEmpty, "\(info.removedBrokenPackages)")
            #expect(try t.query("SELECT count(*), sum(id) FROM rows").first == ["3", "6"], "overlap \(overlap)")
        }
    }

    /// A path read twice in one extract, another file moved there in between: the second read is of the
    /// other file (its own link), not the first file's bytes at the second file's offsets.
    @Test func aPathReadAgainAfterAnotherFileWasMovedThereIsThatFile() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let path = t.file("x.jsonl", "{\"a\": 1}\n{\"a\": 2}\n")
        let other = t.file("other.jsonl", "{\"a\": 7000}\n{\"a\": 8000}\n{\"a\": 9}\n")
        let read = try FileResource.make(name: "rows", paths: [path])
        let resource = Resource(name: "rows") { out in
            try await read.produce(out)
            #expect(rename(other, path) == 0)
            try await read.produce(out)
        }
        let pending = try await t.pipeline.extract(Source(name: "f", resources: [resource]))
        let folder = t.dir + "/.sluice/test/packages/extracted/" + pending
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".link") }.count == 2)
        try await t.pipeline.normalize()
        _ = try await t.pipeline.load()
        #expect(try t.query("SELECT a FROM rows ORDER BY rowid").map { $0[0] ?? "" } == ["1", "2", "7000", "8000", "9"])
    }

    /// A file rewritten in place while its run read it (after the extract stage, before normalize had read
    /// it all) would load part old, part new rows: the run fails, loads nothing and removes its package. A
    /// pending package whose file was rewritten with its size and time put back (so the check of pending
    /// packages passes) is removed when its lines are not where they were, and the run goes on.
    @Test func aFileRewrittenInPlaceWhileLoadedLoadsNothing() async throws {
        for (overlap, disposition) in [(false, WriteDisposition.append), (true, .replace)] {
            let t = TestPipeline()
            defer { try? FileManager.default.removeItem(atPath: t.dir) }
            let pipeline = t.pipeline(overlapStages: overlap)
            let path = t.file("data.jsonl", "{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3}\n")
            let rewriter = Resource(name: "rewriter") { _ in
                let handle = try #require(FileHandle(forWritingAtPath: path))  // the same length, other rows
                try handle.write(contentsOf: Data("{\"id\": 7}\n{\"id\": 8}\n{\"id\": 9}\n".utf8))
                try handle.close()
            }
            await #expect {
                try await pipeline.run(Source(name: "f", resources: [
                    try FileResource.make(name: "rows", paths: [path], hints: ResourceHints(writeDisposition: disposition)), rewriter,
                ]))
            } throws: { error in
                let e = error as! SluiceError
                return e.file == path && e.message.contains("the file changed while it was being loaded (rewritten in place or cut shorter")
                    && e.message.contains("nothing of the package was loaded, and it was removed")
            }
            #expect(try t.query("SELECT count(*) FROM sqlite_master WHERE name = 'rows'").first == ["0"], "overlap \(overlap)")
            for stage in ["extracted", "normalized"] {
                #expect(try FileManager.default.contentsOfDirectory(atPath: t.dir + "/.sluice/test/packages/" + stage).isEmpty, "\(stage)")
            }
        }
        // Pending, then rewritten with its size and modification time as they were: read, and removed.
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let path = t.file("data.jsonl", "{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3}\n")
        let source = { Source(name: "f", resources: [try! FileResource.make(name: "rows", paths: [path])]) }
        var before = stat()
        #expect(stat(path, &before) == 0)
        let pending = try await t.pipeline.extract(source())
        let handle = try #require(FileHandle(forWritingAtPath: path))  // the same size, two lines where three were
        try handle.write(contentsOf: Data("{\"id\": 12345}\n{\"id\": 6789012}\n".utf8))
        try handle.close()
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        let info = try await t.pipeline.run(source())
        #expect(info.removedBrokenPackages.count == 1 && !info.loadIds.contains(pending), "\(info.removedBrokenPackages)")
        #expect(info.removedBrokenPackages.first?.contains("\(path):1: the file changed while it was being loaded") == true, "\(info.removedBrokenPackages)")
        #expect(try t.query("SELECT count(*), sum(id) FROM rows").first == ["2", "6801357"])
    }

    /// A package's lines read from a linked file that was cut shorter since (or whose lines moved): an error
    /// at the file and the first line no longer whole (or the first of the lines that moved), not rows made
    /// of other bytes.
    @Test func linkedLinesOfAFileCutShorterAreAnErrorAtTheirLine() throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let text = "{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3}\n"
        let path = t.file("rows.jsonl", text)
        #expect(link(path, t.dir + "/rows.link") == 0)
        let writer = try PackageFileWriter(path: t.dir + "/0.items")
        try writer.writeLinkedSourceFile(path, link: "rows.link")
        try writer.writeLinkedJSONLines(offset: 0, length: 10, count: 1, firstLine: 1)
        try writer.writeLinkedJSONLines(offset: 10, length: text.utf8.count - 10, count: 2, firstLine: 2)
        try writer.sync()
        func rows() throws -> [String] {
            let reader = try PackageFileReader(path: t.dir + "/0.items")
            var ids: [String] = []
            while try reader.advance() {
                ids.append(reader.withCurrentJSON { String(decoding: $0, as: UTF8.self) } + "@\(reader.currentSource!.line)")
            }
            return ids
        }
        #expect(try rows() == ["{\"id\": 1}@1", "{\"id\": 2}@2", "{\"id\": 3}@3"])
        #expect(truncate(path, 25) == 0)
        #expect { try rows() } throws: { error in
            let e = error as! SluiceError
            return e.file == path && e.line == 3 && e.message.contains("the file changed while it was being loaded (it ends within this line now")
        }
        #expect(truncate(path, 10) == 0)  // now ending before the second range: lines before it could be cut too
        #expect { try rows() } throws: { error in
            let e = error as! SluiceError
            return e.line == 2 && e.message.contains("the file changed while it was being loaded (it ends before this line now")
        }
        let handle = try #require(FileHandle(forWritingAtPath: path))  // the same file, its second line longer
        try handle.write(contentsOf: Data("{\"id\": 1}\n{\"id\": 22222}\n{\"id\": 3}\n".utf8))
        try handle.close()
        #expect { try rows() } throws: { error in
            (error as! SluiceError).message.contains("(its lines from this one on are not where they were")
        }
    }

    /// A file on another file system than the pipeline's working folder cannot be linked: its lines are
    /// copied into the package, as before links, and load the same.
    @Test func aFileOnAnotherFileSystemIsCopiedIntoThePackage() async throws {
        var shm = stat(), tmp = stat()
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        guard stat("/dev/shm", &shm) == 0, stat(t.dir, &tmp) == 0, shm.st_dev != tmp.st_dev, access("/dev/shm", W_OK) == 0 else {
            print("skipped: no writable /dev/shm on another file system than \(t.dir) here")
            return
        }
        let path = "/dev/shm/sluice-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        defer { unlink(path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data((1...5_000).map { #"{"id": \#($0)}"# }.joined(separator: "\n").utf8))
        let pending = try await t.pipeline.extract(Source(name: "f", resources: [try FileResource.make(name: "rows", paths: [path])]))
        let folder = t.dir + "/.sluice/test/packages/extracted/" + pending
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".link") }.isEmpty)
        var items = stat()
        #expect(stat(folder + "/0.items", &items) == 0 && items.st_size > 5_000 * 9)
        try await t.pipeline.normalize()
        _ = try await t.pipeline.load()
        #expect(try t.query("SELECT count(*), sum(id) FROM rows").first == ["5000", "12502500"])
    }

    /// When the run then fails too, its error tells of the package it removed first (else nothing would).
    @Test func aRunThatFailsAfterRemovingABrokenPendingPackageSaysSo() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let a = t.file("a.jsonl", "{\"id\": 1}\n{\"id\": 2\n")
        _ = try await t.pipeline.extract(Source(name: "f", resources: [try FileResource.make(name: "rows", paths: [a])]))
        let b = t.file("b.jsonl", "{\"id\": 3}\n{\"id\": 4,\n")
        await #expect {
            try await t.pipeline.run(Source(name: "f", resources: [try FileResource.make(name: "rows", paths: [b])]))
        } throws: { error in
            let e = error as! SluiceError
            return e.file == b && e.line == 2
                && e.message.contains("; before this, a package left by an earlier run was removed, not loaded: normalize: \(a):2: malformed JSON")
        }
    }

    /// A run that completes a package an earlier run left, then fails on its own input, says in its error
    /// that those rows were loaded (they were, and nothing else would tell).
    @Test func aRunThatFailsAfterCompletingAPendingPackageSaysSo() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let good = t.file("good.jsonl", "{\"id\": 1}\n{\"id\": 2}\n")
        let pending = try await t.pipeline.extract(Source(name: "f", resources: [try FileResource.make(name: "rows", paths: [good])]))
        let bad = t.file("bad.jsonl", "{\"id\": 3}\n{\"id\": 4,\n")
        await #expect {
            try await t.pipeline.run(Source(name: "f", resources: [try FileResource.make(name: "rows", paths: [bad])]))
        } throws: { error in
            let e = error as! SluiceError
            return e.file == bad && e.message.hasSuffix("; before this, 1 load package(s) an earlier run left unfinished were completed (\(pending): 2 row(s) loaded)")
        }
        #expect(try t.count("rows") == 2)
    }

    /// Once normalize finds a broken row, the extract stage stops at its next flush instead of copying the
    /// rest of the file into the package (a broken line 5 of a large file failed after copying all of it).
    @Test func aBrokenRowStopsTheExtractStage() async throws {
        let t = TestPipeline()
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        let total = 3_000_000
        let written = Counter()
        let resource = Resource(name: "rows") { out in
            let json = out as! any JSONRowWriter
            for i in 1...total {
                let text = Array((i == 3 ? #"{"id": 3, "name": "cut"# : #"{"id": \#(i), "name": "x"}"#).utf8)
                _ = try text.withUnsafeBufferPointer { try json.writeNow(jsonObject: $0, file: "rows.jsonl", line: i) }
                written.add()
                if i % 10_000 == 0 { await Task.yield() }  // lets the normalize stage start on a busy pool
            }
        }
        await #expect {
            try await t.pipeline.run(Source(name: "s", resources: [resource]))
        } throws: { error in
            let e = error as! SluiceError
            return e.file == "rows.jsonl" && e.line == 3 && e.message.contains("unterminated string")
        }
        #expect(written.value < total, "the extract stage copied every row before the error")
        #expect(try !FileManager.default.fileExists(atPath: t.destination.path) || t.columns("rows").isEmpty)
    }

    @Test func restoresSchemaFromTheDestinationWhenLocalStateIsGone() async throws {
        let t = TestPipeline()
        try await t.run("t", [["id": 1, "v": 5]])
        try FileManager.default.removeItem(atPath: t.dir + "/.sluice")
        try await t.run("t", [["id": 2, "v": "text now"]])
        // The restored schema knew v was bigint, so the text went to a variant column.
        #expect(try t.columns("t").contains("v__v_text"))
    }
}

@Suite("hints")
struct HintTests {
    @Test func notNullableColumnsNameTheRow() async throws {
        let t = TestPipeline()
        var hints = ResourceHints()
        hints.columns["email"] = ColumnHint(nullable: false)
        await #expect {
            try await t.run("users", [["id": 1, "email": "a@x"], ["id": 2, "email": nil]], hints: hints)
        } throws: { error in
            let e = error as! SluiceError
            return e.row == 2 && e.column == "email" && e.stage == "normalize" && "\(e)".contains("row 2")
        }
        #expect(try !t.destination.withConnection { try $0.tableExists("users") })
        // The package is set aside, not retried: the next run loads only its own data.
        let failed = try FileManager.default.contentsOfDirectory(atPath: t.dir + "/.sluice/test/packages/failed")
        #expect(failed.count == 1)
        try await t.run("users", [["id": 3, "email": "c@x"]], hints: hints)
        #expect(try t.count("users") == 1)
    }

    @Test func typeHintsWinOverInference() async throws {
        let t = TestPipeline()
        var hints = ResourceHints()
        hints.columns["zip"] = ColumnHint(dataType: .text)
        hints.columns["amount"] = ColumnHint(dataType: .decimal)
        try await t.run("orders", [["zip": 1000, "amount": "12.50"]], hints: hints)
        #expect(try await t.type("orders", "zip") == .text)
        #expect(try await t.type("orders", "amount") == .decimal)
        #expect(try t.query("SELECT zip, amount FROM orders")[0] == ["1000", "12.50"])
    }
}

/// A count shared with a resource's closure.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
