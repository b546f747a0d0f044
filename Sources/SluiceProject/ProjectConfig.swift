import Foundation
import PipelineCore
import TOMLKit

/// `sluice.toml`: pipelines and destination settings, validated against ``ProjectSchema/sluiceToml`` when loaded.
public struct ProjectConfig: @unchecked Sendable {
    // Invariant for `@unchecked Sendable`: the TOML table is read, never changed, after loading.
    public struct PipelineSection: Sendable {
        public var source: String
        public var destination: String?
        public var dataset: String?
    }

    /// The raw TOML, kept to hand each pipeline's section to its source as JSON.
    public let table: TOMLTable?
    public let path: String

    /// Reads and checks `path`; `sources` names the registered sources (their sections' own keys are
    /// theirs to check). A missing file is an empty project.
    public static func load(path: String = "sluice.toml", sources: [String] = []) throws -> ProjectConfig {
        guard FileManager.default.fileExists(atPath: path) else { return ProjectConfig(table: nil, path: path) }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw SluiceError(.configuration, "cannot read it as UTF-8 text", file: path)
        }
        return ProjectConfig(table: try ProjectSchema.parse(text, file: path, schema: ProjectSchema.sluiceToml(registered: sources)), path: path)
    }

    public var pipelineNames: [String] {
        table?["pipelines"]?.table?.keys.sorted() ?? []
    }

    public func pipeline(_ name: String) throws -> (section: PipelineSection, settings: Data) {
        guard let section = table?["pipelines"]?.table?[name]?.table else {
            let known = pipelineNames.isEmpty ? "none" : pipelineNames.joined(separator: ", ")
            throw SluiceError(.configuration, "no pipeline '\(name)' in [pipelines] (declared: \(known))", file: path)
        }
        // The schema checked the section when the file was loaded: source is a string, destination and dataset too.
        let decoded = PipelineSection(source: section["source"]?.string ?? "", destination: section["destination"]?.string,
                                      dataset: section["dataset"]?.string)
        return (decoded, Data(section.convert(to: .json).utf8))
    }

    /// `[destination.<name>]` settings as strings (integers in their decimal form).
    public func destinationSettings(_ name: String) -> [String: String] {
        guard let section = table?["destination"]?.table?[name]?.table else { return [:] }
        var out: [String: String] = [:]
        for key in section.keys {
            if let s = section[key]?.string { out[key] = s } else if let n = section[key]?.int { out[key] = String(n) }
        }
        return out
    }
}
