import Foundation
import SluiceTesting
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
        let loads = try FileManager.default.contentsOfDirectory(atPath: dir + "/out/trips/_dlt_loads").count
        let rows = try await ParquetPython.run(count, [dir + "/out/trips/trips"])
        #expect(Int(rows.trimmingCharacters(in: .whitespacesAndNewlines)) == loads * 60000)
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
