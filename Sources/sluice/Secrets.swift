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

    /// Every secret value we know, for masking in logs, errors and run history: values of
    /// secrets.toml and of dlt-style environment overrides whose key names a secret (password,
    /// token, key, salt, secret, a whole credentials string, a URL). Hosts, ports and user names stay
    /// readable.
    func allValues() -> [String] {
        let secretWords = ["password", "secret", "token", "key", "salt", "credentials", "url", "dsn", "auth"]
        func isSecret(_ key: String) -> Bool { secretWords.contains { key.lowercased().contains($0) } }
        var out: [String] = []
        func collect(_ table: TOMLTable) {
            for key in table.keys {
                guard let value = table[key] else { continue }
                if let inner = value.table { collect(inner) } else if let s = value.string, isSecret(key) { out.append(s) }
            }
        }
        if let table { collect(table) }
        let prefixes = ["SOURCES__", "DESTINATION__", "PRIVACY__", "NOTIFICATIONS__"]
        for (name, value) in environment where prefixes.contains(where: name.hasPrefix) {
            if let last = name.components(separatedBy: "__").last, isSecret(last) { out.append(value) }
        }
        return out
    }
}
