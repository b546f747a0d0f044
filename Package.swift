// swift-tools-version: 6.0
import PackageDescription

/// The hot path (scanners, package files, normalize, bind) mutates buffers held by classes; dynamic
/// exclusivity checks on those cost ~10% of a load, so release builds skip them. Debug builds optimize
/// these modules too: unoptimized they are ~15x slower, which made the end-to-end tests (a 100,000-row
/// kill test among them) take minutes.
let hotPath: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .executable(name: "sluice-bench", targets: ["sluice-bench"]),
        .library(name: "PipelineCore", targets: ["PipelineCore"]),
        .library(name: "Sources", targets: ["Sources"]),
        .library(name: "Pipelines", targets: ["Pipelines"]),
        .library(name: "Destinations", targets: ["Destinations"]),
        .library(name: "DatabaseClients", targets: ["DatabaseClients"]),
        .library(name: "Flows", targets: ["Flows"]),
        .library(name: "SluiceProject", targets: ["SluiceProject"]),
        .library(name: "SluiceCLI", targets: ["SluiceCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // `sluice serve` is a Service with graceful shutdown on SIGTERM/SIGINT; brings swift-async-algorithms
        // (and swift-collections), linked by SluiceCLI only.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // System libraries: on the image, installed by .ci/run when missing (libsqlite3-dev, zlib1g-dev,
        // libpq-dev). Parquet's snappy is our own; its zstd is the system's libzstd, opened at run time.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPostgres", path: "Sources/CPostgres", providers: [.apt(["libpq-dev"])]),

        .target(name: "PipelineCore", swiftSettings: hotPath),
        .target(name: "Sources", dependencies: ["PipelineCore", "DatabaseClients", "CZlib"], swiftSettings: hotPath),
        .target(name: "Pipelines", dependencies: ["PipelineCore"], swiftSettings: hotPath),
        .target(name: "DatabaseClients", dependencies: ["PipelineCore", "CSQLite", "CPostgres"], swiftSettings: hotPath),
        .target(name: "Destinations", dependencies: ["PipelineCore", "DatabaseClients", "CSQLite", "CPostgres", "CZlib"],
                swiftSettings: hotPath),
        .target(name: "Flows", dependencies: ["CSQLite", .product(name: "Logging", package: "swift-log")]),
        // The project layer: sluice.toml and secrets.toml, strict (unknown keys and wrong types are errors).
        .target(name: "SluiceProject", dependencies: [
            "PipelineCore", "Sources", "Pipelines", "Destinations", "DatabaseClients", "Flows",
            .product(name: "Logging", package: "swift-log"), .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // The command line as a library (argument parsing and printing): `sluice` and your own builds of it.
        .target(
            name: "SluiceCLI",
            dependencies: [
                "PipelineCore", "Sources", "Pipelines", "Destinations", "Flows", "SluiceProject",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "sluice", dependencies: ["SluiceCLI"]),
        // Benchmarks, outside the product binary: `swift run -c release sluice-bench flows --tasks 1000`, `... rest --load`.
        .executableTarget(
            name: "sluice-bench",
            dependencies: ["Flows", "Sources", "PipelineCore", "Pipelines", "Destinations", "SluiceTesting",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .testTarget(name: "PipelineCoreTests", dependencies: ["PipelineCore", "SluiceTesting"]),
        .testTarget(name: "SourcesTests", dependencies: ["Sources", "PipelineCore", "Pipelines", "Destinations", "DatabaseClients", "SluiceTesting"]),
        .testTarget(name: "PipelinesTests", dependencies: ["Pipelines", "PipelineCore", "Sources", "Destinations", "DatabaseClients", "CSQLite", "SluiceTesting"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DestinationsTests", dependencies: ["Destinations", "DatabaseClients", "PipelineCore", "CSQLite", "Pipelines", "Sources", "SluiceTesting"]),
        // The documentation's Swift examples, each a program `swift build` compiles; README.md and docs/*.md
        // show them verbatim (Tests/SluiceProjectTests/DocumentationTests.swift checks).
        .executableTarget(name: "GitHubIssues", dependencies: ["PipelineCore", "Pipelines", "Destinations"], path: "Examples/GitHubIssues"),
        .executableTarget(name: "IncrementalIssues", dependencies: ["PipelineCore", "Pipelines", "Destinations"], path: "Examples/IncrementalIssues"),
        .executableTarget(name: "DailyRates", dependencies: ["Flows"], path: "Examples/DailyRates"),
        .executableTarget(name: "RESTIssues", dependencies: ["PipelineCore", "Pipelines", "Destinations", "Sources"], path: "Examples/RESTIssues"),
        // docs/writing-a-source.md: the package `sluice new source weather --kind rest` scaffolds, as a program.
        .executableTarget(name: "WritingASource", dependencies: ["PipelineCore", "Sources"], path: "Examples/WritingASource"),
        // A `sluice` of your own with a source registered (`Sluice.main(sources:)`); the CLI tests run it.
        .executableTarget(name: "custom-sluice", dependencies: ["SluiceCLI", "Sources", "PipelineCore"], path: "Examples/CustomSource"),

        // Test support shared by the test targets: an in-memory destination, scratch folders removed at exit,
        // the test Postgres server, clocks tests move by hand, a loopback HTTP server, material outside the repository.
        .target(name: "SluiceTesting", dependencies: ["PipelineCore", "DatabaseClients"], path: "Sources/SluiceTesting"),

        .testTarget(name: "FlowsTests", dependencies: ["Flows", "sluice-bench", "SluiceTesting"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SluiceCLITests", dependencies: ["sluice", "custom-sluice", "SluiceTesting"]),
        // The REST client against loopback fixture servers, and the rest_api source end to end into SQLite.
        .testTarget(name: "RESTTests", dependencies: ["Sources", "PipelineCore", "SluiceTesting", "SluiceProject", "Pipelines",
                                                  "Destinations", "DatabaseClients"]),
        // The bundled source packages (currencies, exchange_rates, github, nyc_taxi) end to end into SQLite against
        // loopback servers serving fixtures of the real APIs' shape; `sluice new source` adds its tests here.
        .testTarget(name: "SourcePackagesTests", dependencies: ["Sources", "PipelineCore", "SluiceTesting", "SluiceProject", "Pipelines",
                                                          "Destinations", "DatabaseClients", "CZlib"]),
        .testTarget(name: "SluiceProjectTests", dependencies: ["SluiceProject", "PipelineCore", "Sources", "Destinations", "DatabaseClients", "Flows", "Pipelines", "SluiceTesting",
                                                         .product(name: "TOMLKit", package: "TOMLKit")]),
    ],
    swiftLanguageModes: [.v6]
)
