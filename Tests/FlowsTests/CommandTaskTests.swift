import SluiceTesting
import Foundation
import Testing

@testable import Flows

/// Whether a process is still running (a zombie waiting for its reaper counts as gone).
func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

@Suite("command task")
struct CommandTaskTests {
    func scratch() throws -> String {
        try TemporaryDirectory.make("command")
    }

    /// A shell that starts a long sleep in the background, writes its pid, and waits.
    func sleeper(_ dir: String) -> [String] {
        ["/bin/sh", "-c", "sleep 300 & echo $! > \(dir)/child.pid; echo started; wait"]
    }

    func childPID(_ dir: String) throws -> Int32? {
        (try? String(contentsOfFile: dir + "/child.pid", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test func outputGoesToTheLogAndAFailingExitFailsTheTask() async throws {
        let runner = makeRunner()
        let dir = try scratch()
        let ok = FlowTask.command("list", ["/bin/sh", "-c", "echo one; echo two >&2; pwd"], workingDirectory: dir)
        let bad = FlowTask.command("bad", ["/bin/sh", "-c", "echo about to fail; exit 3"])
        let run = await runner.run(Flow("cmds") { flow in
            let result = try await flow.run(ok)
            _ = try await flow.run(bad)
            return result.exitStatus
        }, parameters: NoParameters())
        #expect(run.state == .failed)
        let error = try #require(run.error as? CommandError)
        #expect(error.status == 3)
        #expect(error.description == "`/bin/sh -c echo about to fail; exit 3` exited with status 3: about to fail")
        let logs = try await runner.store.logs(ofFlowRun: run.id).map(\.message)
        #expect(logs.contains("one") && logs.contains("two") && logs.contains(dir))
        let missing = await runner.run(Flow("missing") { flow in try await flow.run(FlowTask.command("x", ["no-such-program-sluice"])) },
                                       parameters: NoParameters())
        #expect("\(missing.error!)".contains("cannot start no-such-program-sluice"))
    }

    @Test func cancellingTheTaskKillsItsWholeProcessGroup() async throws {
        let runner = makeRunner()
        let dir = try scratch()
        let task = FlowTask.command("long", sleeper(dir), gracePeriod: .seconds(2))
        let running = Task { await runner.run(Flow("f") { flow in try await flow.run(task) }, parameters: NoParameters()) }
        try await eventually("the child to start") { try childPID(dir) != nil }
        let child = try #require(try childPID(dir))
        #expect(isRunning(child))
        running.cancel()
        let run = await running.value
        #expect(run.state == .cancelled)
        #expect(try await taskRuns(runner.store, run.id).map(\.state) == [.cancelled])
        try await eventually("the child to go") { !isRunning(child) }
    }

    @Test func aTimeoutKillsTheProcessGroupAndEndsTimedOut() async throws {
        let clock = ManualClock()
        let runner = makeRunner(clock: clock)
        let dir = try scratch()
        let task = FlowTask.command("long", sleeper(dir), timeout: .seconds(30), gracePeriod: .seconds(2))
        let running = Task { await runner.run(Flow("f") { flow in try await flow.run(task) }, parameters: NoParameters()) }
        try await eventually("the child to start") { try childPID(dir) != nil }
        let child = try #require(try childPID(dir))
        try await clock.waitForSleepers(1)
        clock.advance(by: .seconds(30))
        let run = await running.value
        #expect(try await taskRuns(runner.store, run.id).map(\.state) == [.timedOut])
        // Its group was sent SIGKILL before the run recorded TimedOut; the kernel ends a grandchild when it is
        // next scheduled (on a busy machine, after the run returned: asserting it gone at once was a flake).
        try await eventually("the child to go") { !isRunning(child) }
    }
}
