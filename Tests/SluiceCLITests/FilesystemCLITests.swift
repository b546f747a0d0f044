import Foundation
import SluiceTesting
import Synchronization
import Testing

/// `sluice load --destination filesystem` end to end: staged files a warehouse (here SQLite and DuckDB)
/// ingests, and a killed run that never leaves a partial file under a final name.
@Suite("sluice load --destination filesystem", .serialized)
struct FilesystemCLITests {
    let cli = CLITests()

    func trips(_ n: Int, in dir: String) throws {
        var text = ""
        for i in 1...n { text += #"{"id":\#(i),"fare":\#(i % 50),"tags":["a\#(i % 3)"]}"# + "\n" }
        try text.write(toFile: dir + "/trips.jsonl", atomically: false, encoding: .utf8)
    }

    @Test func stagedJSONLinesLoadIntoSQLiteWithTheSameCountAndSum() async throws {
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try trips(3000, in: dir)
        try "[destination.filesystem]\nfile_max_items = 1000\n".write(toFile: dir + "/sluice.toml", atomically: false, encoding: .utf8)
        let staged = try await cli.sluice(["load", "trips.jsonl", "--table", "trips", "--destination", "filesystem",
                                           "--bucket-url", "staging", "--file-format", "jsonl"], in: dir)
        #expect(staged.status == 0, "\(staged.output)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/staging/trips/trips").filter { $0.hasSuffix(".jsonl") }.sorted()
        #expect(files.count == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/staging/trips/trips__tags").count == 3)
        let loaded = try await cli.sluice(["load"] + files.map { "staging/trips/trips/" + $0 }
            + ["--table", "trips", "--pipeline", "warehouse", "--destination", "sqlite"], in: dir)
        #expect(loaded.status == 0, "\(loaded.output)")
        #expect(try cli.sqlite(dir + "/warehouse.sqlite", "SELECT count(*), sum(id), sum(fare) FROM trips")
            == "3000|\(3000 * 3001 / 2)|\((1...3000).reduce(0) { $0 + $1 % 50 })")
        // Run again with what `sluice load` recorded: the same bucket and format, one more load.
        let again = try await cli.sluice(["run", "trips"], in: dir)
        #expect(again.status == 0, "\(again.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/staging/trips/_dlt_loads").count == 2)
        // `sluice run` takes the filesystem flags too (they win over what was recorded), and refuses them elsewhere.
        let elsewhere = try await cli.sluice(["run", "trips", "--bucket-url", "csvs", "--file-format", "csv"], in: dir)
        #expect(elsewhere.status == 0, "\(elsewhere.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/csvs/trips/trips").filter { $0.hasSuffix(".csv") }.count == 3)
        // One flag keeps what was recorded for the others: the bucket stays `staging`.
        let parquet = try await cli.sluice(["run", "trips", "--file-format", "parquet"], in: dir)
        #expect(parquet.status == 0, "\(parquet.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/staging/trips/trips").contains { $0.hasSuffix(".parquet") })
        let shown = try await cli.sluice(["show", "trips", "--bucket-url", "csvs", "--file-format", "csv"], in: dir)
        #expect(shown.status == 0 && shown.output.contains("3000"), "\(shown.output)")
        let wrong = try await cli.sluice(["run", "trips", "--destination", "sqlite", "--bucket-url", "csvs"], in: dir)
        #expect(wrong.status != 0 && wrong.output.contains("--bucket-url and --file-format apply to --destination filesystem only"), "\(wrong.output)")
    }

    @Test func aTableNameTooLongForAFolderIsSetAsideAndLaterLoadsProceed() async throws {
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Lists inside lists 100 levels deep: the innermost child table's name is about 300 bytes.
        let depth = 100
        let nested = "{\"a\":" + String(repeating: "[{\"x\":1,\"b\":", count: depth) + "1" + String(repeating: "}]", count: depth) + "}\n"
        try nested.write(toFile: dir + "/nest.jsonl", atomically: true, encoding: .utf8)
        let refused = try await cli.sluice(["load", "nest.jsonl", "--table", "t", "--destination", "filesystem", "--bucket-url", "out"], in: dir)
        #expect(refused.status != 0 && refused.output.contains("longer than filesystem allows (200)"), "\(refused.output)")
        #expect(refused.output.contains("set aside"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/t/t"), "no table folder was made")
        try "{\"z\":1}\n".write(toFile: dir + "/ok.jsonl", atomically: true, encoding: .utf8)
        let next = try await cli.sluice(["load", "ok.jsonl", "--table", "t", "--destination", "filesystem", "--bucket-url", "out"], in: dir)
        #expect(next.status == 0, "\(next.output)")
    }

    @Test func showListsTablesTypesRowCountsAndLoads() async throws {
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try trips(25, in: dir)
        try "[destination.filesystem]\nfile_max_items = 10\n".write(toFile: dir + "/sluice.toml", atomically: false, encoding: .utf8)
        let args = ["load", "trips.jsonl", "--table", "trips", "--destination", "filesystem", "--bucket-url", "staging", "--file-format", "csv"]
        for _ in 0..<2 { #expect(try await cli.sluice(args, in: dir).status == 0) }
        let show = try await cli.sluice(["show", "trips"], in: dir)
        #expect(show.status == 0, "\(show.output)")
        #expect(show.output.contains("/staging/trips, schema version 1\n"), "\(show.output)")
        #expect(show.output.contains("trips (50 rows, append)") && show.output.contains("trips__tags (50 rows, append, child of trips)"))
        #expect(show.output.contains("  id  bigint") && show.output.contains("  fare  bigint"))
        let loads = show.output.components(separatedBy: "Last loads:\n").last?.split(separator: "\n") ?? []
        #expect(loads.count == 2 && loads.allSatisfy { $0.hasSuffix("+00:00") })
    }

    @Test func mergeIsRefusedBeforeAnythingIsExtracted() async throws {
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try trips(3, in: dir)
        let result = try await cli.sluice(["load", "trips.jsonl", "--table", "trips", "--destination", "filesystem", "--bucket-url", "out",
                                           "--write-disposition", "merge", "--primary-key", "id"], in: dir)
        #expect(result.status != 0)
        #expect(result.output.contains("merge is supported by sqlite and postgres"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        // The sample's issues table merges: `sluice run` refuses it before taking the run lock or writing a file.
        for item in ["sluice.toml", "samples"] {
            try FileManager.default.copyItem(atPath: CLITests.repository.path + "/" + item, toPath: dir + "/" + item)
        }
        let sample = try await cli.sluice(["run", "sample", "--destination", "filesystem"], in: dir,
                                          environment: ["DESTINATION__FILESYSTEM__BUCKET_URL": "st"])
        #expect(sample.status == 1)
        #expect(sample.output.contains("table issues: write disposition merge is not supported by the filesystem destination")
            && sample.output.contains("merge is supported by sqlite and postgres"), "\(sample.output)")
        #expect(!sample.output.contains("extract:"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/st"))
        let noBucket = try await cli.sluice(["load", "trips.jsonl", "--table", "trips", "--destination", "filesystem"], in: dir)
        #expect(noBucket.status != 0 && noBucket.output.contains("bucket_url"))
    }

    @Test(.enabled(if: ParquetPython.shouldRun, "needs SLUICE_PARQUET_PYTHON (pyarrow)"))
    func aKilledRunLeavesNoPartialFileUnderAFinalName() async throws {
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try trips(60000, in: dir)
        try "[destination.filesystem]\nfile_max_items = 5000\nrow_group_size = 1000\n".write(toFile: dir + "/sluice.toml", atomically: false, encoding: .utf8)
        let args = ["load", "trips.jsonl", "--table", "trips", "--destination", "filesystem", "--bucket-url", "out", "--file-format", "parquet"]
        let count = """
            import glob, sys, pyarrow.parquet as pq
            files = [f for f in glob.glob(sys.argv[1] + "/**/*.parquet", recursive=True)]
            print(sum(pq.read_table(f).num_rows for f in files))
            """
        var killed = 0
        for delay in [0.05, 0.15, 0.3, 0.5, 0.8, 1.2] {
            if try await killAfter(delay, args, in: dir) { killed += 1 }
            // Every file under a final name reads whole (a partial one would fail here).
            _ = try await ParquetPython.run(count, [dir + "/out"])
        }
        #expect(killed > 0)
        // The same load again: it first completes a package a killed run left, then loads the file once more.
        let finish = try await cli.sluice(args, in: dir)
        #expect(finish.status == 0, "\(finish.output)")
        // Loads that completed, each exactly once: 60,000 rows a load.
        // The staging files the killed runs left are gone: the next load removed them (their writers are dead).
        let staged = try #require(FileManager.default.subpaths(atPath: dir + "/out")).filter { $0.hasSuffix(".tmp") }
        #expect(staged.isEmpty, "\(staged)")
        let loads = try FileManager.default.contentsOfDirectory(atPath: dir + "/out/trips/_dlt_loads").count
        let rows = try await ParquetPython.run(count, [dir + "/out/trips/trips"])
        #expect(Int(rows.trimmingCharacters(in: .whitespacesAndNewlines)) == loads * 60000)
    }

    @Test func badBucketURLsAndLayoutsAreRefusedNamingWhereTheyWereGivenBeforeAnythingIsCreated() async throws {
        let load = ["load", "trips.jsonl", "--table", "trips", "--destination", "filesystem"]
        let pipeline = "[pipelines.p]\nsource = \"files\"\ndestination = \"filesystem\"\n[pipelines.p.tables.trips]\npath = \"trips.jsonl\"\n"
        // (arguments, environment, sluice.toml, secrets.toml, what the error says)
        let cases: [([String], [String: String], String?, String?, [String])] = [
            (load + ["--bucket-url", ""], [:], nil, nil, [#"bucket_url "" (set by --bucket-url) is empty"#]),
            (load + ["--bucket-url", "file://fileserver/x"], [:], nil, nil,
             [#"bucket_url "file://fileserver/x" (set by --bucket-url)"#, "the host fileserver is not supported"]),
            (load, ["DESTINATION__FILESYSTEM__BUCKET_URL": "file://nas/x"], nil, nil,
             [#"bucket_url "file://nas/x" (set by DESTINATION__FILESYSTEM__BUCKET_URL)"#]),
            (load, [:], nil, "[destination.filesystem]\nbucket_url = \"plain\"\n",
             [#"bucket_url "plain" (set by [destination.filesystem] bucket_url in secrets.toml) names a file, not a folder"#]),
            (load + ["--bucket-url", "out"], [:], "[destination.filesystem]\nlayout = \"{table}/{nope}.{file_id}\"\n", nil,
             [#"layout "{table}/{nope}.{file_id}" (set by [destination.filesystem] layout in sluice.toml): unknown placeholder {nope}"#]),
            (["run", "p"], [:], pipeline + "[destination.filesystem]\nbucket_url = \"file://server/x\"\n", nil,
             [#"bucket_url "file://server/x" (set by [destination.filesystem] bucket_url in sluice.toml)"#]),
            (["run", "p"], [:], pipeline + "[destination.filesystem]\nbucket_url = \"plain/sub\"\n", nil,
             ["plain is a file, not a folder"]),
        ]
        for (args, environment, config, secrets, expected) in cases {
            let dir = try cli.scratch()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try trips(3, in: dir)
            try "x".write(toFile: dir + "/plain", atomically: false, encoding: .utf8)
            if let config { try config.write(toFile: dir + "/sluice.toml", atomically: false, encoding: .utf8) }
            if let secrets { try secrets.write(toFile: dir + "/secrets.toml", atomically: false, encoding: .utf8) }
            let before = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            let result = try await cli.sluice(args, in: dir, environment: environment)
            #expect(result.status != 0)
            for text in expected { #expect(result.output.contains(text), "\(args): \(result.output)") }
            // No working directory, bucket, lock or package was made.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == before, "\(args)")
        }
        // A bucket that refuses new files (immutable for root, mode 0555 otherwise).
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try trips(3, in: dir)
        try FileManager.default.createDirectory(atPath: dir + "/ro", withIntermediateDirectories: true)
        guard await TestProcesses.makeReadOnly(dir + "/ro") else { return }
        let result = try await cli.sluice(load + ["--bucket-url", "ro"], in: dir)
        await TestProcesses.undoReadOnly(dir + "/ro")
        #expect(result.status != 0 && result.output.contains(#"bucket_url "\#(dir)/ro" (set by --bucket-url) is not writable"#), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/.sluice"))
    }

    @Test func concurrentLoadsIntoOneBucketAllComplete() async throws {
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try trips(20000, in: dir)
        try "[destination.filesystem]\nfile_max_items = 2000\n".write(toFile: dir + "/sluice.toml", atomically: false, encoding: .utf8)
        let load = ["load", "trips.jsonl", "--table", "trips", "--destination", "filesystem", "--bucket-url", "common"]
        // Two datasets (`a`, `b`), and a third pipeline into `a` beside its own: each clears abandoned staging
        // files while the others write theirs.
        let results = try await concurrently([load + ["--pipeline", "a"], load + ["--pipeline", "b"],
                                              load + ["--pipeline", "c", "--dataset", "a"]], in: dir)
        for result in results { #expect(result.status == 0, "\(result.output)") }
        func rows(_ dataset: String) throws -> Int {
            let folder = dir + "/common/" + dataset + "/trips"
            return try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.reduce(0) { total, name in
                total + (try String(contentsOfFile: folder + "/" + name, encoding: .utf8)).split(separator: "\n").count
            }
        }
        #expect(try rows("a") == 40000 && rows("b") == 20000)
        let staged = try #require(FileManager.default.subpaths(atPath: dir + "/common")).filter { $0.hasSuffix(".tmp") }
        #expect(staged.isEmpty, "\(staged)")
    }

    /// Runs `sluice` with each argument list at once, on dispatch threads; their results in order.
    func concurrently(_ runs: [[String]], in dir: String) async throws -> [CLITests.Result] {
        try await withCheckedThrowingContinuation { continuation in
            let results = Mutex<[Int: Result<CLITests.Result, any Error>]>([:])
            let group = DispatchGroup()
            for (i, args) in runs.enumerated() {
                DispatchQueue.global().async(group: group) {
                    let result = Result { try cli.sluice(args, in: dir) }
                    results.withLock { $0[i] = result }
                }
            }
            group.notify(queue: .global()) {
                continuation.resume(with: Result { try results.withLock { r in try runs.indices.map { try r[$0]!.get() } } })
            }
        }
    }

    /// Starts `sluice` and kills it with SIGKILL after `seconds`; whether it was still running.
    func killAfter(_ seconds: Double, _ args: [String], in dir: String) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let p = Process()
                    p.executableURL = URL(fileURLWithPath: CLITests.binary)
                    p.arguments = args
                    p.currentDirectoryURL = URL(fileURLWithPath: dir)
                    p.standardOutput = FileHandle.nullDevice
                    p.standardError = FileHandle.nullDevice
                    try p.run()
                    usleep(UInt32(seconds * 1_000_000))
                    let running = p.isRunning
                    if running { kill(p.processIdentifier, SIGKILL) }
                    p.waitUntilExit()
                    return running
                })
            }
        }
    }
}
