import Foundation

/// A source's credentials from secrets.toml and the environment, as its settings receive them.
public enum SourceCredentials: Sendable, Equatable {
    /// `[sources.<p>] credentials = "..."` or `SOURCES__<P>__CREDENTIALS`: a connection string.
    case text(String)
    /// `[sources.<p>.credentials] token = "..."`, each key overridable by `SOURCES__<P>__CREDENTIALS__<KEY>`.
    case table([String: String])

    /// The value as it goes into the source's JSON settings.
    var jsonObject: Any {
        switch self {
        case .text(let text): text
        case .table(let table): table
        }
    }
}

extension Secrets {
    /// The credentials of source section `name` (a pipeline's name): the whole value from
    /// `SOURCES__<NAME>__CREDENTIALS`, else a table from `[sources.<name>.credentials]` with each key's
    /// environment variable (`SOURCES__<NAME>__CREDENTIALS__TOKEN`) winning over the file, else the file's
    /// string. Every value is a secret: ``allValues()`` masks it in logs and errors.
    public func sourceCredentials(_ name: String) -> SourceCredentials? {
        let path = ["sources", name, "credentials"]
        if let whole = environmentValue(path) { return .text(whole) }
        var table: [String: String] = [:]
        if let section = fileNode(path)?.table {
            for key in section.keys { if let value = fileValue(path + [key]) { table[key] = value } }
        }
        let prefix = Self.variable(path) + "__"
        for (variable, value) in environment where variable.hasPrefix(prefix) && !value.isEmpty {
            table[String(variable.dropFirst(prefix.count)).lowercased()] = value
        }
        if !table.isEmpty { return .table(table) }
        return fileValue(path).map { .text($0) }
    }
}
