import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs that are interrupted, killed or timed out, through the real binary: what is recorded, what is
/// committed, and what is left running.
@Suite("interrupted runs", .serialized)
struct InterruptionCLITests {
    let cli = CLITests()

    /// A started `sluice` process whose exit can be awaited without holding a test thread. Spawned and
    /// reaped with POSIX calls: Foundation's `Process` waits for descendants that inherited its
    /// descriptors, and a command task left running is such a descendant.
    final class Started: Sendable {
        let pid: pid_t

        init(_ args: [String], in dir: String) throws {
            let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\" >/dev/null 2>&1", dir, CLITests.binary] + args
            var child: pid_t = 0
            let pointers = argv.map { strdup($0) } + [nil]
            defer { pointers.forEach { free($0) } }
            guard posix_spawn(&child, "/bin/sh", nil, nil, pointers, environ) == 0 else {
                throw CocoaError(.executableLoad)
            }
            pid = child
        }

        func signal(_ number: Int32) { kill(pid, number) }

        /// The exit status (128 + signal when killed by one).
        func exit() async -> Int32 {
            let pid = self.pid
            return await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    var raw: Int32 = 0
                    while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
                    continuation.resume(returning: (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f))
                }
            }
        }
    }

    /// Waits (yielding) until `condition` holds, at most `seconds`.
    func until(_ seconds: Double, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Whether `pid` still runs: a zombie (killed, not yet reaped by an init that may never reap) does not.
    func alive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
    }

    /// The pid a command task wrote, once it is there.
    func commandPID(_ dir: String) async throws -> Int32 {
        _ = try await until(20) { ((try? String(contentsOfFile: dir + "/cmd.pid", encoding: .utf8)) ?? "").hasSuffix("\n") }
        return try #require(Int32((try String(contentsOfFile: dir + "/cmd.pid", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    func project(command: String) throws -> String {
        let dir = try cli.scratch()
        try FileManager.default.copyItem(atPath: CLITests.repository.path + "/samples", toPath: dir + "/samples")
        let toml = try String(contentsOfFile: CLITests.repository.path + "/sluice.toml", encoding: .utf8)
        try (toml + "\n[pipelines.sample.flow]\ncommand = [\"/bin/sh\", \"-c\", \"\(command)\"]\n")
            .write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        return dir
    }

    func runs(_ dir: String) async throws -> [[String: Any]] {
        let out = try await cli.sluice(["runs", "--json"], in: dir)
        return try JSONSerialization.jsonObject(with: Data(out.output.utf8)) as? [[String: Any]] ?? []
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func aSignalCancelsTheFlowRunAndItsCommandGroup(signal: Int32, status: Int32) async throws {
        let dir = try project(command: "echo $$ > cmd.pid; exec sleep 30")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Started(["flow", "run", "sample", "--quiet"], in: dir)
        let pid = try await commandPID(dir)
        run.signal(signal)
        #expect(await run.exit() == status)
        #expect(try await until(5) { !alive(pid) }, "the command task's process outlived the run")
        let recorded = try await runs(dir)
        #expect(recorded.first?["state"] as? String == "Cancelled")
        // The load before the command committed (it completed); nothing is loaded twice by the next run.
        let again = try await cli.sluice(["run", "sample"], in: dir)
        #expect(again.status == 0, "\(again.output)")
        #expect(try cli.sqlite(dir + "/sample.sqlite", "select count(*) from trips") == "3000")
    }

    @Test func aSecondSignalExitsAtOnceAndTakesTheCommandGroupAlong() async throws {
        // The command ignores SIGTERM, so the first signal's grace period (10 s) would run out first.
        let dir = try project(command: "trap '' TERM; echo $$ > cmd.pid; exec sleep 30")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Started(["flow", "run", "sample", "--quiet"], in: dir)
        let pid = try await commandPID(dir)
        run.signal(SIGINT)
        try await Task.sleep(for: .milliseconds(300))
        #expect(alive(pid), "the command ignores SIGTERM")
        run.signal(SIGINT)
        #expect(await run.exit() == 130)
        #expect(try await until(5) { !alive(pid) }, "the command outlived sluice's exit")
    }

    @Test func aSIGINTDuringALoadCommitsNothingAndExits130() async throws {
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        mkfifo(dir + "/feed.jsonl", 0o600)
        // A writer that trickles rows and never ends on its own.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "i=0; while true; do i=$((i+1)); echo \"{\\\"id\\\":$i}\"; sleep 0.05; done > feed.jsonl"]
        writer.currentDirectoryURL = URL(fileURLWithPath: dir)
        try writer.run()
        defer { writer.terminate() }
        let load = try Started(["load", "feed.jsonl", "--table", "feed"], in: dir)
        try await Task.sleep(for: .milliseconds(800))
        load.signal(SIGINT)
        #expect(await load.exit() == 130)
        #expect(try cli.sqlite(dir + "/feed.sqlite", "select count(*) from sqlite_master where name = 'feed'") == "0")
        let pending = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/.sluice/feed/packages/extracted")) ?? []
        #expect(pending.isEmpty)
    }

    /// A signal that comes once the load committed (its package reached `loaded/`) cannot roll it back:
    /// the exit must say success, or a person or a retry script reruns it and loads the rows twice.
    @Test func aSignalAfterTheCommitExitsZero() async throws {
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rows = (1...20_000).map { "{\"id\":\($0)}" }.joined(separator: "\n")
        for round in 0..<3 {
            let work = dir + "/\(round)"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try rows.write(toFile: work + "/rows.jsonl", atomically: true, encoding: .utf8)
            let load = try Started(["load", "rows.jsonl", "--table", "rows"], in: work)
            let loaded = work + "/.sluice/rows/packages/loaded"
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {  // a tight poll, off the test pool
                    let deadline = Date().addingTimeInterval(60)
                    while ((try? FileManager.default.contentsOfDirectory(atPath: loaded)) ?? []).isEmpty && Date() < deadline { usleep(100) }
                    done.resume()
                }
            }
            load.signal(SIGINT)
            let status = await load.exit()
            #expect(status == 0, "round \(round): exit \(status) after the commit")
            #expect(try cli.sqlite(work + "/rows.sqlite", "select count(*) from rows") == "20000")
        }
    }

    @Test func aKilledRunIsSweptToCrashedAndItsCommandGroupKilled() async throws {
        let dir = try project(command: "echo $$ > cmd.pid; exec sleep 30")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Started(["flow", "run", "sample", "--quiet"], in: dir)
        let pid = try await commandPID(dir)
        // The run store records the command's group a moment after the spawn (its writer batches): a kill
        // inside that window leaves a group nobody knows of. What is promised is that a recorded group ends.
        #expect(try await until(10) { (try? cli.sqlite(dir + "/.sluice/runs.sqlite", "select count(*) from task_processes")) == "1" })
        run.signal(SIGKILL)
        #expect(await run.exit() == 128 + SIGKILL)
        #expect(alive(pid), "the command is in its own process group and survives its parent's SIGKILL")
        // The next process that opens the run store finds the dead run, records Crashed, ends the group.
        let toml = try String(contentsOfFile: dir + "/sluice.toml", encoding: .utf8)
        try toml.replacingOccurrences(of: "echo $$ > cmd.pid; exec sleep 30", with: "true").write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        let next = try await cli.sluice(["flow", "run", "sample", "--quiet"], in: dir)
        #expect(next.output.contains("marked Crashed"), "\(next.output)")
        #expect(try await until(5) { !alive(pid) }, "the dead run's command kept running")
        let states = try await runs(dir).compactMap { $0["state"] as? String }
        #expect(states == ["Completed", "Crashed"])
    }

    /// The case: a source trickling 15 rows over 3 s, a 1 s timeout and one retry. Each attempt
    /// is cancelled; neither commits a row, and the run ends TimedOut.
    @Test func aTimedOutLoadCommitsNothingAndItsRetryLoadsNothingTwice() async throws {
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        mkfifo(dir + "/feed.jsonl", 0o600)
        try """
            [pipelines.p]
            source = "files"

            [pipelines.p.tables.feed]
            path = "feed.jsonl"

            [pipelines.p.flow]
            timeout = 1
            retries = [0.5]

            """.write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "for i in $(seq 15); do echo \"{\\\"id\\\":$i}\"; sleep 0.2; done > feed.jsonl"]
        writer.currentDirectoryURL = URL(fileURLWithPath: dir)
        try writer.run()
        defer { writer.terminate() }
        let started = Date()
        let run = try await cli.sluice(["flow", "run", "p", "--quiet"], in: dir)
        #expect(run.status == 1)
        // Two attempts of 1 s, each noticing its cancellation within one 0.2 s line of the feed, the 0.5 s
        // delay between them, and the process's start on a loaded machine: 2.9 s plus 0.4 s of start-up.
        // An attempt that ran on past its timeout would take the whole 3 s of the feed.
        #expect(Date().timeIntervalSince(started) < 3.3, "an attempt ran past its timeout")
        let recorded = try await runs(dir)
        #expect(recorded.first?["state"] as? String == "Failed")
        let logs = try await cli.sluice(["logs", try #require(recorded.first?["id"] as? String)], in: dir)
        #expect(logs.output.contains("run_p  TimedOut  2"), "\(logs.output)")
        #expect(logs.output.contains("task run_p attempt 1 of 2 timed out: task run_p timed out after 1.0 seconds; retrying in 0.5 s"))
        // `sluice runs` counts the task's retry: two attempts in all.
        let table = try await cli.sluice(["runs"], in: dir).output.split(separator: "\n")
        #expect(table.count == 2 && table[1].split(separator: " ").last == "2", "\(table)")
        #expect(try cli.sqlite(dir + "/p.sqlite", "select count(*) from sqlite_master where name = 'feed'") == "0")
    }
}
