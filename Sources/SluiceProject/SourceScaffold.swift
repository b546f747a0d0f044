import Foundation
import PipelineCore
import Sources

/// `sluice new source NAME --kind rest|sql|files`: a new source package scaffolded in a checkout of
/// Sluice, in its three layers, so that it builds and its test passes before any edit.
///
/// It writes the package `Sources/Sources/<Name>/<Name>Source.swift` (a ``SourcePackage`` with one
/// resource and strict ``SourceSettings``), registers it with one line in
/// `Sources/Sources/Catalog/SourcePackages.swift`, writes its test
/// `Tests/SourcePackagesTests/<Name>SourceTests.swift`, and appends `[pipelines.<name>]` with a
/// `[pipelines.<name>.flow]` of retries `[10, 30, 90]`, a paused `[deployments.<name>_daily]` to
/// sluice.toml, and its secrets to `secrets.toml.example` (created when missing).
///
/// Everything is checked before anything is written: a name that is not snake_case, a source that
/// exists, a file or section that exists, or a folder that is not a checkout of Sluice is an error
/// and leaves every file as it was.
public struct SourceScaffold: Sendable {
    /// What the one resource reads.
    public enum Kind: String, Sendable, CaseIterable {
        /// An HTTP JSON API through ``RESTClient``, tested against a loopback server.
        case rest
        /// A database table through ``SQLDatabaseSource``, tested against a SQLite file.
        case sql
        /// Local CSV, JSON Lines or JSON files, tested against a CSV file.
        case files
    }

    public let name: String
    public let kind: Kind

    /// `weather_api` -> `WeatherApi`: the folder name; the type is that plus `Source`.
    public var folder: String { name.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() }
    public var typeName: String { folder + "Source" }

    /// Checks `name`: snake_case (lower-case letters, digits and single `_` between words, starting with a
    /// letter), a ``SafeName``, and not a source Sluice already has.
    public init(name: String, kind: Kind, existing: [String] = SourceCatalog.bundled.names) throws {
        let words = name.split(separator: "_", omittingEmptySubsequences: false)
        let snake = SafeName.isSafe(name) && name.first.map { $0.isLetter && $0.isLowercase } == true
            && words.allSatisfy { !$0.isEmpty && $0.allSatisfy { c in c.isASCII && (c.isLowercase || c.isNumber) } }
        guard snake else {
            throw SluiceError(.configuration, "source name '\(name.prefix(40))' is not allowed: use snake_case "
                + "(lower-case letters and digits, words joined by single '_', starting with a letter, at most \(SafeName.maximumLength))")
        }
        guard !existing.contains(name) else {
            throw SluiceError(.configuration, "a source named '\(name)' exists already (sources: \(existing.joined(separator: ", ")))")
        }
        self.name = name
        self.kind = kind
    }

    /// The files of this package, by path relative to the repository: the package and its test.
    public var newFiles: [(path: String, text: String)] {
        [("Sources/Sources/\(folder)/\(typeName).swift", fill(Self.sourceTemplate(kind))),
         ("Tests/SourcePackagesTests/\(typeName)Tests.swift", fill(Self.testTemplate(kind)))]
    }

    func fill(_ template: String) -> String {
        template.replacingOccurrences(of: "__TYPE__", with: typeName).replacingOccurrences(of: "__NAME__", with: name)
    }

    /// The pipeline, its flow and its deployment, appended to sluice.toml.
    public var sluiceTomlBlock: String {
        let settings: String
        switch kind {
        case .rest: settings = "base_url = \"https://api.example.com/v1/\"   # the API (the package's default)"
        case .sql: settings = "table = \"items\"\nsqlite = \"\(name)-source.sqlite\"   # or Postgres: [sources.\(name)] credentials in secrets.toml"
        case .files: settings = "paths = [\"data/\(name)/items.csv\"]"
        }
        return """

            # \(name): scaffolded by `sluice new source \(name) --kind \(kind.rawValue)` (Sources/Sources/\(folder)/).
            [pipelines.\(name)]
            source = "\(name)"
            destination = "sqlite"
            \(settings)

            [pipelines.\(name).flow]
            retries = [10, 30, 90]

            # Paused until the source reads the real thing: then delete paused = true (docs/writing-a-source.md).
            [deployments.\(name)_daily]
            flow = "\(name)"
            description = "\(name), every day"
            schedules = [{ cron = "0 6 * * *", timezone = "UTC" }]
            paused = true

            """
    }

    /// Its secrets, appended to secrets.toml.example.
    public var secretsBlock: String {
        switch kind {
        case .rest:
            return "\n# Token of the \(name) source, sent as Authorization: Bearer (SOURCES__\(name.uppercased())__CREDENTIALS__TOKEN).\n"
                + "[sources.\(name).credentials]\ntoken = \"\"\n"
        case .sql:
            return "\n# Source database of the \(name) pipeline (SOURCES__\(name.uppercased())__CREDENTIALS).\n"
                + "[sources.\(name)]\ncredentials = \"postgresql://reader:password@127.0.0.1:5432/app\"\n"
        case .files:
            return "\n# The \(name) source reads local files: no secrets.\n"
        }
    }

    /// The registry file and its list's opening line; the scaffold adds `        <Type>.self,` in order.
    static let registry = "Sources/Sources/Catalog/SourcePackages.swift"
    static let listOpening = "    public static let packages: [any SourcePackage.Type] = ["

    /// The registry with this package's line added in order, or an error when its list is not as expected.
    func registered(_ text: String) throws -> String {
        var lines = text.components(separatedBy: "\n")
        guard let open = lines.firstIndex(of: Self.listOpening),
              let close = lines[(open + 1)...].firstIndex(of: "    ]")
        else {
            throw SluiceError(.configuration, "cannot find the list of source packages (a line \"\(Self.listOpening.trimmingCharacters(in: .whitespaces))\" "
                + "and its closing \"    ]\")", file: Self.registry)
        }
        let line = "        \(typeName).self,"
        guard !lines[(open + 1)..<close].contains(line) else {
            throw SluiceError(.configuration, "\(typeName) is registered already", file: Self.registry)
        }
        let at = lines[(open + 1)..<close].firstIndex { $0 > line } ?? close
        lines.insert(line, at: at)
        return lines.joined(separator: "\n")
    }

    /// Writes the package into the checkout at `repository`; returns the paths it created or changed.
    /// Nothing is written unless every check passes.
    @discardableResult
    public func write(into repository: String) throws -> [String] {
        let fm = FileManager.default
        func path(_ relative: String) -> String { repository + "/" + relative }
        func read(_ relative: String) throws -> String {
            do { return try String(contentsOfFile: path(relative), encoding: .utf8) } catch {
                throw SluiceError(.configuration, "cannot read it", file: relative)
            }
        }
        let manifest = (try? read("Package.swift")) ?? ""
        guard manifest.contains("name: \"sluice\""), fm.fileExists(atPath: path(Self.registry)), fm.fileExists(atPath: path("Tests/SourcePackagesTests")) else {
            throw SluiceError(.configuration, "\(repository) is not a checkout of Sluice (no Package.swift of sluice with \(Self.registry)); "
                + "run `sluice new source` at its root. In a package of your own, register a source with Sluice.main(sources:) "
                + "(see Examples/CustomSource)")
        }
        let folderPath = "Sources/Sources/\(folder)"
        for existing in [folderPath] + newFiles.map(\.path) where fm.fileExists(atPath: path(existing)) {
            throw SluiceError(.configuration, "it exists already (a source named \(name)?): nothing was changed", file: existing)
        }
        let registry = try registered(try read(Self.registry))
        let toml = fm.fileExists(atPath: path("sluice.toml")) ? try read("sluice.toml") : ""
        for header in ["[pipelines.\(name)]", "[pipelines.\(name).", "[deployments.\(name)_daily]"] where toml.contains(header) {
            throw SluiceError(.configuration, "sluice.toml has \(header) already: nothing was changed", file: "sluice.toml")
        }
        let secrets = fm.fileExists(atPath: path("secrets.toml.example")) ? try read("secrets.toml.example") : "# Copy to secrets.toml (git-ignored) and fill in.\n"
        if kind != .files, secrets.contains("[sources.\(name)]") || secrets.contains("[sources.\(name).") {
            throw SluiceError(.configuration, "secrets.toml.example has [sources.\(name)] already: nothing was changed", file: "secrets.toml.example")
        }
        // Every check passed: write, the new files first, then the shared ones (each atomically).
        var written: [String] = []
        do {
            try fm.createDirectory(atPath: path(folderPath), withIntermediateDirectories: false)
            for file in newFiles {
                try file.text.write(toFile: path(file.path), atomically: true, encoding: .utf8)
                written.append(file.path)
            }
            try registry.write(toFile: path(Self.registry), atomically: true, encoding: .utf8)
            written.append(Self.registry)
            try (toml + sluiceTomlBlock).write(toFile: path("sluice.toml"), atomically: true, encoding: .utf8)
            written.append("sluice.toml")
            try (secrets + secretsBlock).write(toFile: path("secrets.toml.example"), atomically: true, encoding: .utf8)
            written.append("secrets.toml.example")
        } catch {
            throw SluiceError(.io, "writing the scaffold failed after \(written.joined(separator: ", ")): \(error)", file: repository)
        }
        return written
    }
}
