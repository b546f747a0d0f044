import Foundation
import PipelineCore
import SluiceProject
import SluiceTesting
import Sources
import Testing

/// What `sluice new source` generates, checked without building it (the build is the gated CLI test).
@Suite("source scaffold")
struct SourceScaffoldTests {
    static let repository = DocumentationTests.repository.path

    @Test(arguments: ["Weather", "weather-api", "_weather", "weather_", "weather__api", "1weather", "wéather", "", "../x",
                      String(repeating: "a", count: 65)])
    func namesThatAreNotSnakeCaseAreRefused(_ name: String) {
        #expect(throws: SluiceError.self) { try SourceScaffold(name: name, kind: .rest) }
    }

    @Test func aSourceSluiceHasIsRefusedAndNamesMakeTypes() throws {
        #expect(throws: SluiceError.self) { try SourceScaffold(name: "github", kind: .rest) }
        let scaffold = try SourceScaffold(name: "weather_api2", kind: .sql)
        #expect(scaffold.typeName == "WeatherApi2Source" && scaffold.folder == "WeatherApi2")
        #expect(scaffold.newFiles.map(\.path) == ["Sources/Sources/WeatherApi2/WeatherApi2Source.swift",
                                                  "Tests/SourcePackagesTests/WeatherApi2SourceTests.swift"])
    }

    @Test(arguments: SourceScaffold.Kind.allCases)
    func itsSectionsPassTheStrictSchemaAndMakeADailyDeployment(_ kind: SourceScaffold.Kind) throws {
        let scaffold = try SourceScaffold(name: "weather", kind: kind)
        let sample = try String(contentsOfFile: Self.repository + "/sluice.toml", encoding: .utf8)
        _ = try ProjectSchema.parse(sample + scaffold.sluiceTomlBlock, file: "sluice.toml",
                                    schema: ProjectSchema.sluiceToml(registered: SourceCatalog.bundled.names + ["weather"]))
        let example = try String(contentsOfFile: Self.repository + "/secrets.toml.example", encoding: .utf8)
        _ = try ProjectSchema.parse(example + scaffold.secretsBlock, file: "secrets.toml.example", schema: ProjectSchema.secretsToml)
        // The deployment as the project reads it: daily at 06:00 UTC, paused, running the pipeline's flow.
        let folder = try TemporaryDirectory.make("scaffold")
        try scaffold.sluiceTomlBlock.write(toFile: folder + "/sluice.toml", atomically: true, encoding: .utf8)
        var configuration = Project.Configuration(folder: folder)
        configuration.sources.register("weather") { _, _ in Source(name: "weather", resources: []) }
        let project = try Project.load(configuration)
        let deployment = try #require(try project.deployments().first)
        #expect(deployment.name == "weather_daily" && deployment.flow == "weather" && deployment.paused)
        #expect(deployment.schedules.map(\.schedule.summary) == ["at 06:00 every day, UTC"])
        #expect(try PipelineFlows.section("weather", project.config).retries == [10, 30, 90])
    }

    @Test func theGuideShowsWhatTheScaffoldWrites() throws {
        let generated = try SourceScaffold(name: "weather", kind: .rest).newFiles[0].text
        let body = generated.components(separatedBy: "\n").drop { $0.hasPrefix("import ") || $0.isEmpty }.joined(separator: "\n")
        let example = try String(contentsOfFile: Self.repository + "/Examples/WritingASource/main.swift", encoding: .utf8)
        #expect(example.contains(body.trimmingCharacters(in: .newlines)), "Examples/WritingASource/main.swift shows the scaffold's rest package")
    }

    /// The commented `[pipelines.<x>]` examples of the repository's sluice.toml, uncommented, pass the strict schema.
    @Test func theCommentedExamplesOfSluiceTomlAreValid() throws {
        let sample = try String(contentsOfFile: Self.repository + "/sluice.toml", encoding: .utf8)
        var uncommented: [String] = []
        for line in sample.components(separatedBy: "\n") where line.hasPrefix("# [") || line.range(of: #"^# [a-z_]+ = "#, options: .regularExpression) != nil {
            uncommented.append(String(line.dropFirst(2)))
        }
        let text = uncommented.joined(separator: "\n")
        for source in ["currencies", "exchange_rates", "github", "nyc_taxi"] { #expect(text.contains("source = \"\(source)\"")) }
        _ = try ProjectSchema.parse(sample + "\n" + text, file: "sluice.toml", schema: ProjectSchema.sluiceToml)
    }
}
