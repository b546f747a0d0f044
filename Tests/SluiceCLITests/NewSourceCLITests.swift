import Foundation
import SluiceTesting
import Testing

/// `sluice new source`: what it writes, what it refuses, and (with SLUICE_SCAFFOLD_TEST=1, as `.ci/run`
/// sets) that the scaffolded packages build and their tests pass in a copy of this repository.
@Suite("sluice new source")
struct NewSourceCLITests {
    let cli = CLITests()
    static var repository: String { CLITests.repository.path }

    /// A folder that looks like a checkout of Sluice to the scaffold: the manifest, the registry, the
    /// project files and the test folder (nothing is built in it).
    func fakeCheckout() throws -> String {
        let dir = try cli.scratch()
        let fm = FileManager.default
        for path in ["Sources/Sources/Catalog", "Tests/SourcePackagesTests"] {
            try fm.createDirectory(atPath: dir + "/" + path, withIntermediateDirectories: true)
        }
        for file in ["Package.swift", "Sources/Sources/Catalog/SourcePackages.swift", "sluice.toml", "secrets.toml.example"] {
            try fm.copyItem(atPath: Self.repository + "/" + file, toPath: dir + "/" + file)
        }
        return dir
    }

    /// Every file under `dir` with its contents.
    func snapshot(_ dir: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: dir)! {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[path] = FileManager.default.contents(atPath: dir + "/" + path)
            }
        }
        return files
    }

    @Test func scaffoldsTheThreeLayersThenRefusesToOverwrite() async throws {
        let dir = try fakeCheckout()
        let made = try await cli.sluice(["new", "source", "weather_api", "--kind", "rest"], in: dir)
        #expect(made.status == 0, "\(made.output)")
        let source = try String(contentsOfFile: dir + "/Sources/Sources/WeatherApi/WeatherApiSource.swift", encoding: .utf8)
        #expect(source.contains("public enum WeatherApiSource: SourcePackage") && source.contains("public static let name = \"weather_api\""))
        #expect(FileManager.default.fileExists(atPath: dir + "/Tests/SourcePackagesTests/WeatherApiSourceTests.swift"))
        let registry = try String(contentsOfFile: dir + "/Sources/Sources/Catalog/SourcePackages.swift", encoding: .utf8)
        #expect(registry.contains("        GitHubSource.self,\n        NYCTaxiSource.self,\n        WeatherApiSource.self,\n    ]"))
        let toml = try String(contentsOfFile: dir + "/sluice.toml", encoding: .utf8)
        #expect(toml.contains("[pipelines.weather_api]\nsource = \"weather_api\"") && toml.contains("[pipelines.weather_api.flow]\nretries = [10, 30, 90]"))
        #expect(toml.contains("[deployments.weather_api_daily]\nflow = \"weather_api\"") && toml.contains("cron = \"0 6 * * *\""))
        #expect(try String(contentsOfFile: dir + "/secrets.toml.example", encoding: .utf8).contains("[sources.weather_api.credentials]\ntoken = \"\""))

        // The same name again (any kind), bad names, and a source Sluice has: refused, nothing changed.
        let before = try snapshot(dir)
        for (args, reason) in [(["weather_api", "--kind", "sql"], "exists already"), (["WeatherApi"], "snake_case"), (["weather-api"], "snake_case"),
                               (["1weather"], "snake_case"), (["weather__api"], "snake_case"), (["github"], "exists already"),
                               (["../evil"], "snake_case")]
        {
            let refused = try await cli.sluice(["new", "source"] + args, in: dir)
            #expect(refused.status != 0 && refused.output.contains(reason), "\(args): \(refused.output)")
        }
        #expect(try snapshot(dir) == before)
    }

    @Test func outsideACheckoutOfSluiceItSaysWhatToDoInstead() async throws {
        let dir = try cli.scratch()
        let refused = try await cli.sluice(["new", "source", "weather"], in: dir)
        #expect(refused.status != 0 && refused.output.contains("not a checkout of Sluice") && refused.output.contains("Examples/CustomSource"),
                "\(refused.output)")
        #expect(try snapshot(dir).isEmpty)
    }

    /// The promise of the scaffold: a copy of this repository (its working tree, uncommitted changes
    /// included), three packages scaffolded (rest, sql, files), then `swift build --build-tests` and only
    /// their tests. A full debug build of the copy: about two minutes here, so it runs when
    /// SLUICE_SCAFFOLD_TEST=1 (`.ci/run` sets it).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SLUICE_SCAFFOLD_TEST"] == "1"), .timeLimit(.minutes(10)))
    func scaffoldedPackagesBuildAndTheirTestsPass() async throws {
        let copy = try cli.scratch() + "/sluice"
        let listed = try await cli.run("/usr/bin/git", ["ls-files", "-co", "--exclude-standard"], in: Self.repository)
        #expect(listed.status == 0)
        let fm = FileManager.default
        for path in listed.output.split(separator: "\n").map(String.init) where fm.fileExists(atPath: Self.repository + "/" + path) {
            let target = copy + "/" + path
            try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: Self.repository + "/" + path, toPath: target)
        }
        for kind in ["rest", "sql", "files"] {
            let made = try await cli.sluice(["new", "source", "demo_\(kind)", "--kind", kind], in: copy)
            #expect(made.status == 0, "\(made.output)")
        }
        let swift = ProcessInfo.processInfo.environment["SWIFT_EXEC_PATH"] ?? "/usr/bin/env"
        let prefix = swift == "/usr/bin/env" ? ["swift"] : []
        let build = try await cli.run(swift, prefix + ["build", "--build-tests"], in: copy)
        #expect(build.status == 0, "\(build.output.suffix(3000))")
        let test = try await cli.run(swift, prefix + ["test", "--skip-build", "--filter", "Demo(Rest|Sql|Files)SourceTests"], in: copy)
        #expect(test.status == 0 && test.output.contains("6 tests in 3 suites passed"), "\(test.output.suffix(3000))")
        try? fm.removeItem(atPath: copy)
    }
}
