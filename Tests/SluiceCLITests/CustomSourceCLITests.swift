import Foundation
import Testing

/// Examples/CustomSource: a `sluice` built with one more source registered (`Sluice.main(sources:)`).
@Suite("a sluice of your own")
struct CustomSourceCLITests {
    let cli = CLITests()

    /// The example's binary, built beside `sluice`.
    static var binary: String { URL(fileURLWithPath: CLITests.binary).deletingLastPathComponent().appendingPathComponent("custom-sluice").path }

    func customSluice(_ args: [String], in dir: String) async throws -> CLITests.Result {
        try await cli.run(Self.binary, args, in: dir)
    }

    @Test func aRegisteredSourceRunsThroughRunAndFlowRun() async throws {
        let dir = try cli.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[pipelines.weather]\nsource = \"weather\"\nstations = [\"oslo\", \"rome\"]\n"
            .write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        let check = try await customSluice(["check"], in: dir)
        #expect(check.status == 0 && check.output.contains("(weather): ok"), "\(check.output)")
        let run = try await customSluice(["run", "weather"], in: dir)
        #expect(run.status == 0 && run.output.contains("readings: 2 rows"), "\(run.output)")
        #expect(try cli.sqlite(dir + "/weather.sqlite", "select station || ' ' || celsius from readings order by station") == "oslo 4.5\nrome 5.5")
        let flow = try await customSluice(["flow", "run", "weather", "--quiet"], in: dir)
        #expect(flow.status == 0 && flow.output.contains("Completed"), "\(flow.output)")
        #expect(try await customSluice(["flow", "ls"], in: dir).output.contains("run_weather"))
        // Merged by its key: the flow's run loaded the same two readings again, not two more.
        #expect(try cli.sqlite(dir + "/weather.sqlite", "select count(*) from readings") == "2")
        // The stock sluice does not know the source; the custom one checks the source's own keys.
        let stock = try await cli.sluice(["run", "weather"], in: dir)
        #expect(stock.status != 0 && stock.output.contains("unknown source \"weather\""), "\(stock.output)")
        try "[pipelines.weather]\nsource = \"weather\"\nstation = [\"oslo\"]\n".write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
        let typo = try await customSluice(["run", "weather"], in: dir)
        #expect(typo.status != 0 && typo.output.contains("the weather source needs stations"), "\(typo.output)")
    }
}
