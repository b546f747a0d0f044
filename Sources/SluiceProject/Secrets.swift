import Foundation
import PipelineCore
import TOMLKit

/// `secrets.toml` with dlt-style environment overrides: `[privacy] salt` is also `PRIVACY__SALT`,
/// `[destination.postgres.credentials] password` is `DESTINATION__POSTGRES__CREDENTIALS__PASSWORD`.
///
/// Values never appear in logs or errors: messages name the key, never the value.
public struct Secrets: @unchecked Sendable {
    // Invariant for `@unchecked Sendable`: the TOML table is read, never changed, after loading.
    public let table: TOMLTable?
    public let environment: [String: String]

    public init(table: TOMLTable?, environment: [String: String]) {
        self.table = table
        self.environment = environment
    }

    public static func load(path: String = "secrets.toml", environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Secrets {
        guard FileManager.default.fileExists(atPath: path) else { return Secrets(table: nil, environment: environment) }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw SluiceError(.configuration, "cannot read it as UTF-8 text", file: path)
        }
        // The parser's message can quote the offending line, which may hold a secret: give the line only.
        return Secrets(table: try ProjectSchema.parse(text, file: path, schema: ProjectSchema.secretsToml, quoteErrors: false),
                       environment: environment)
    }

    /// The value at `path` (`["privacy", "salt"]`): the environment variable first, then the file.
    public func value(_ path: [String]) -> String? {
        environmentValue(path) ?? fileValue(path)
    }

    /// The environment variable of `path`: `["privacy", "salt"]` -> `PRIVACY__SALT`.
    public static func variable(_ path: [String]) -> String {
        path.map { $0.uppercased() }.joined(separator: "__")
    }

    /// The value of `path`'s environment variable, if set and not empty.
    public func environmentValue(_ path: [String]) -> String? {
        environment[Self.variable(path)].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The value at `path` in secrets.toml, as text (a string or an integer).
    public func fileValue(_ path: [String]) -> String? {
        guard let value = fileNode(path) else { return nil }
        return value.string ?? value.int.map { String($0) }
    }

    /// The node at `path` in secrets.toml (a table, an array or a value).
    public func fileNode(_ path: [String]) -> (any TOMLValueConvertible)? {
        guard let last = path.last else { return table }
        var section = table
        for key in path.dropLast() { section = section?[key]?.table }
        return section?[last]
    }

    /// Keys whose values are not secret and stay readable in logs and errors. Every other value of
    /// secrets.toml (whatever its type) and of an environment override of a secrets key is masked.
    public static let readableKeys: Set<String> = Set([
        "host", "port", "database", "dbname", "username", "user", "sslmode", "connect_timeout", "schema", "region", "states", "path",
    ]).union(DestinationCatalog.filesystemKeys)  // bucket_url, layout, file_format, compression, sizes: settings, not secrets

    /// The prefixes of environment variables that override secrets.toml keys.
    public static let environmentPrefixes = ["SOURCES__", "DESTINATION__", "PRIVACY__", "NOTIFICATIONS__"]

    /// Every secret value we know, for masking in logs, errors and run history: every value of
    /// secrets.toml whatever its TOML type (strings, numbers, dates, the items of arrays) and every
    /// dlt-style environment override, except those of ``readableKeys``. Booleans are not secrets.
    /// A libpq connection string's `password=...` is also masked on its own.
    public func allValues() -> [String] {
        var out: [String] = []
        func add(_ text: String) {
            out.append(text)
            // `host=... password=xyz`: the password alone may be printed too.
            if let range = text.range(of: "password=") {
                let rest = text[range.upperBound...]
                out.append(String(rest.prefix { !$0.isWhitespace }).trimmingCharacters(in: CharacterSet(charactersIn: "'")))
            }
        }
        func collect(_ value: any TOMLValueConvertible) {
            switch value.type {
            case .table: if let table = value.table { for key in table.keys where !Self.readableKeys.contains(key.lowercased()) {
                if let inner = table[key] { collect(inner) } } }
            case .array: for item in value.array ?? [] { collect(item) }
            case .string: add(value.string ?? "")
            case .int: out.append(String(value.int ?? 0))
            case .double: out.append(String(value.double ?? 0))
            case .bool: break
            case .date, .time, .dateTime: out.append(value.tomlValue.debugDescription)
            }
        }
        if let table { collect(table) }
        for (name, value) in environment where Self.environmentPrefixes.contains(where: name.hasPrefix) {
            if let last = name.components(separatedBy: "__").last, !Self.readableKeys.contains(last.lowercased()) { add(value) }
        }
        return out
    }
}
