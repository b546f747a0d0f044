import Foundation
import PipelineCore
import SluiceTesting
import SluiceProject
import Sources
import Testing

/// The documentation's examples work as written: every ```toml block of README.md and docs/*.md passes
/// the strict project parser, and every ```swift block is (part of) a program in Examples/ that `swift build` compiles.
@Suite("documentation")
struct DocumentationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Block: CustomStringConvertible {
        var file: String
        var line: Int
        var language: String
        var text: String
        var description: String { "\(file):\(line)" }
    }

    /// The fenced blocks of README.md and docs/*.md.
    static func blocks(_ language: String) throws -> [Block] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: repository.path + "/docs").filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
        var found: [Block] = []
        for file in ["README.md"] + docs.sorted() {
            let lines = try String(contentsOfFile: repository.path + "/" + file, encoding: .utf8).components(separatedBy: "\n")
            var open: (line: Int, language: String, body: [String])?
            for (k, line) in lines.enumerated() {
                if let current = open {
                    if line.hasPrefix("```") {
                        if current.language == language { found.append(Block(file: file, line: current.line, language: language, text: current.body.joined(separator: "\n"))) }
                        open = nil
                    } else {
                        open?.body.append(line)
                    }
                } else if line.hasPrefix("```") {
                    open = (k + 1, String(line.dropFirst(3)), [])
                }
            }
        }
        return found
    }

    @Test func everyTOMLSnippetPassesTheStrictParser() throws {
        let snippets = try Self.blocks("toml")
        #expect(snippets.count >= 9)
        let sample = try String(contentsOfFile: Self.repository.path + "/sluice.toml", encoding: .utf8)
        for snippet in snippets {
            // "# secrets.toml" blocks are secrets; "# added to sluice.toml" blocks extend the sample project.
            let isSecrets = snippet.text.hasPrefix("# secrets.toml")
            let text = snippet.text.hasPrefix("# added to sluice.toml") ? sample + "\n" + snippet.text : snippet.text
            #expect(throws: Never.self, "\(snippet)") {
                // `weather`: the source docs/writing-a-source.md scaffolds (and Examples/CustomSource registers).
            _ = try ProjectSchema.parse(text, file: isSecrets ? "secrets.toml" : "sluice.toml",
                                        schema: isSecrets ? ProjectSchema.secretsToml : ProjectSchema.sluiceToml(registered: SourceCatalog.bundled.names + ["weather"]))
            }
        }
        // The repository's own files too.
        _ = try ProjectSchema.parse(sample, file: "sluice.toml", schema: ProjectSchema.sluiceToml)
        // Deployments are checked for meaning as well (their flows exist, cron and RRULE texts parse).
        for snippet in snippets where snippet.text.contains("[deployments.") {
            let dir = try TemporaryDirectory.make("doc-deployments")
            let text = snippet.text.hasPrefix("# added to sluice.toml") ? sample + "\n" + snippet.text : snippet.text
            try text.write(toFile: dir + "/sluice.toml", atomically: true, encoding: .utf8)
            var configuration = Project.Configuration(folder: dir)
            configuration.sources.register("weather") { _, _ in Source(name: "weather", resources: []) }
            #expect(throws: Never.self, "\(snippet)") { _ = try Project.load(configuration).deployments() }
        }
        let example = try String(contentsOfFile: Self.repository.path + "/secrets.toml.example", encoding: .utf8)
        _ = try ProjectSchema.parse(example, file: "secrets.toml.example", schema: ProjectSchema.secretsToml)
    }

    @Test func everySwiftSnippetIsACompiledExample() throws {
        let examples = Self.repository.appendingPathComponent("Examples")
        let programs = try FileManager.default.contentsOfDirectory(atPath: examples.path).map {
            try String(contentsOfFile: examples.path + "/\($0)/main.swift", encoding: .utf8)
        }
        #expect(programs.count >= 3)
        let manifest = try String(contentsOfFile: Self.repository.path + "/Package.swift", encoding: .utf8)
        for name in try FileManager.default.contentsOfDirectory(atPath: examples.path) {
            #expect(manifest.contains("path: \"Examples/\(name)\""), "Examples/\(name) is a target of Package.swift")
        }
        let snippets = try Self.blocks("swift").filter { !$0.text.hasPrefix("// in Package.swift") }
        #expect(snippets.count >= 3)
        for snippet in snippets {
            #expect(programs.contains { $0.contains(snippet.text) }, "\(snippet) is not a part of any Examples/*/main.swift")
        }
        // The README's source example is a whole program, imports included.
        let readme = try #require(snippets.first { $0.file == "README.md" })
        #expect(programs.contains { $0.trimmingCharacters(in: .newlines) == readme.text })
    }

    @Test func theCommandIsCalledOneWayAndItsInstallIsDescribed() throws {
        let shell = try Self.blocks("sh") + Self.blocks("")
        #expect(shell.count >= 5)
        for block in shell {
            #expect(!block.text.contains("swift run sluice"), "\(block) calls `swift run sluice`; the docs call the installed `sluice`")
        }
        let readme = try String(contentsOfFile: Self.repository.path + "/README.md", encoding: .utf8)
        #expect(readme.contains("swift build -c release --product sluice") && readme.contains(".build/release/sluice"))
        #expect(readme.contains("### Installing `sluice`") && readme.contains("At run time it needs"))
        let manifest = try String(contentsOfFile: Self.repository.path + "/Package.swift", encoding: .utf8)
        #expect(manifest.contains(#".executable(name: "sluice", targets: ["sluice"])"#))
    }
}
