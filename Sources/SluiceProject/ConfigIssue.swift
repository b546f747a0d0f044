import PipelineCore

/// One fault of a configuration file: the file, the table path (`pipelines.t.tables.items`), the key
/// and what is wrong. It never holds the value (secrets.toml is validated too).
public struct ConfigIssue: Sendable, Hashable, CustomStringConvertible {
    /// The file, as given (`sluice.toml`).
    public var file: String
    /// The table holding the key, outermost first: `["pipelines", "t", "tables", "items"]`.
    public var path: [String]
    /// The offending key, when the fault is a key's.
    public var key: String?
    /// What is wrong: "unknown key (did you mean 'write_disposition'?)".
    public var message: String

    /// An issue of `key` in the table at `path` of `file`.
    public init(file: String, path: [String], key: String?, message: String) {
        self.file = file
        self.path = path
        self.key = key
        self.message = message
    }

    /// `[pipelines.t.tables.items]`, or `top level`.
    public var tablePath: String { path.isEmpty ? "top level" : "[" + path.joined(separator: ".") + "]" }

    /// `sluice.toml: [pipelines.t.tables.items] write_dispositon: unknown key (did you mean 'write_disposition'?)`.
    public var description: String { "\(file): \(tablePath) " + (key.map { "\($0): " } ?? "") + message }

    /// The issues as one configuration error of one line: the first, and how many more `sluice check` lists.
    public static func error(_ issues: [ConfigIssue]) -> SluiceError? {
        guard let first = issues.first else { return nil }
        let more = issues.count - 1
        return SluiceError(.configuration, first.description + (more == 0 ? "" : " (and \(more) more: `sluice check` lists them all)"))
    }
}
