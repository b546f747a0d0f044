import Foundation
import PipelineCore
import TOMLKit

/// `sluice.toml`: pipelines and destination settings.
struct ProjectConfig {
    struct PipelineSection: Decodable {
        var source: String
        var destination: String?
        var dataset: String?
    }

    /// The raw TOML, kept to hand each pipeline's section to its source as JSON.
    let table: TOMLTable?
    let path: String

    static func load(path: String = "sluice.toml") throws -> ProjectConfig {
        guard FileManager.default.fileExists(atPath: path) else { return ProjectConfig(table: nil, path: path) }
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return ProjectConfig(table: try TOMLTable(string: text), path: path)
        } catch let error as TOMLParseError {
            throw SluiceError(.configuration, "invalid TOML: \(error.description)", file: path, line: Int(error.source.begin.line))
        } catch {
            throw SluiceError(.configuration, "cannot read: \(error)", file: path)
        }
    }

    var pipelineNames: [String] {
        table?["pipelines"]?.table?.keys.sorted() ?? []
    }

    func pipeline(_ name: String) throws -> (section: PipelineSection, settings: Data) {
        guard let section = table?["pipelines"]?.table?[name]?.table else {
            let known = pipelineNames.isEmpty ? "none" : pipelineNames.joined(separator: ", ")
            throw SluiceError(.configuration, "no pipeline '\(name)' in [pipelines] (declared: \(known))", file: path)
        }
        do {
            let decoded = try TOMLDecoder().decode(PipelineSection.self, from: section)
            return (decoded, Data(section.convert(to: .json).utf8))
        } catch {
            throw SluiceError(.configuration, "[pipelines.\(name)]: \(error)", file: path)
        }
    }

    /// `[destination.<name>]` settings as strings.
    func destinationSettings(_ name: String) -> [String: String] {
        guard let section = table?["destination"]?.table?[name]?.table else { return [:] }
        var out: [String: String] = [:]
        for key in section.keys { if let s = section[key]?.string { out[key] = s } }
        return out
    }
}
