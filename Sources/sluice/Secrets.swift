import Foundation
import PipelineCore
import TOMLKit

/// `secrets.toml` with dlt-style environment overrides: `[privacy] salt` is also `PRIVACY__SALT`,
/// `[destination.postgres.credentials] password` is `DESTINATION__POSTGRES__CREDENTIALS__PASSWORD`.
///
/// Values never appear in logs or errors: messages name the key, never the value.
struct Secrets {
    let table: TOMLTable?
    let environment: [String: String]

    static func load(path: String = "secrets.toml", environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Secrets {
        guard FileManager.default.fileExists(atPath: path) else { return Secrets(table: nil, environment: environment) }
        do {
            return Secrets(table: try TOMLTable(string: try String(contentsOfFile: path, encoding: .utf8)), environment: environment)
        } catch let error as TOMLParseError {
            // The parser's message can quote the offending line, which may hold a secret: give the line only.
            throw SluiceError(.configuration, "invalid TOML", file: path, line: Int(error.source.begin.line))
        }
    }

    /// The value at `path` (`["privacy", "salt"]`): the environment variable first, then the file.
    func value(_ path: [String]) -> String? {
        let variable = path.map { $0.uppercased() }.joined(separator: "__")
        if let v = environment[variable], !v.isEmpty { return v }
        guard let last = path.last else { return nil }
        var section = table
        for key in path.dropLast() { section = section?[key]?.table }
        guard let value = section?[last] else { return nil }
        return value.string ?? value.int.map { String($0) }
    }
}
