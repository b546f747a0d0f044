import Foundation
import PipelineCore

/// Where a table's files go under the dataset's folder: a template of placeholders, as dlt's filesystem
/// destination's `layout` (default `{table_name}/{load_id}.{file_id}.{ext}`).
///
/// Placeholders: `{table}` (also `{table_name}`), `{schema_name}`, `{load_id}`, `{file_id}`, `{ext}`, and the
/// load's time (the time in its load id, UTC): `{YYYY}`, `{YY}`, `{Q}`, `{MM}`, `{M}`, `{DD}`, `{D}`, `{HH}`,
/// `{H}`, `{mm}`, `{m}`, `{ss}`, `{s}`, `{curr_date}` (`YYYY-MM-DD`), `{timestamp}` (Unix seconds) and
/// `{timestamp_ms}`. A layout must name the table and the file id, so files of different tables and
/// loads never share a name.
public struct FileLayout: Sendable, Hashable {
    /// The default: `{table}/{load_id}.{file_id}.{ext}`.
    public static let standard = "{table}/{load_id}.{file_id}.{ext}"

    enum Part: Hashable {
        case literal(String)
        case placeholder(String)
    }

    public let template: String
    let parts: [Part]

    static let timePlaceholders: Set<String> = ["YYYY", "YY", "Q", "MM", "M", "DD", "D", "HH", "H", "mm", "m", "ss", "s",
                                                "curr_date", "timestamp", "timestamp_ms"]
    static let known: Set<String> = timePlaceholders.union(["table", "table_name", "schema_name", "load_id", "file_id", "ext"])

    /// Parses `template`; an unknown placeholder, an unclosed brace or a layout without the table or the
    /// file id is an error naming it and `origin`, where it was given (`[destination.filesystem] layout in sluice.toml`).
    public init(_ template: String, origin: String? = nil) throws {
        self.template = template
        let label = SettingText.describe("layout", template, origin: origin)
        var parts: [Part] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            if open > rest.startIndex { parts.append(.literal(String(rest[..<open]))) }
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw SluiceError(.configuration, "\(label): a { without its }")
            }
            let name = String(rest[rest.index(after: open)..<close])
            guard Self.known.contains(name) else {
                throw SluiceError(.configuration, "\(label): unknown placeholder {\(name)}; known: "
                    + Self.known.sorted().map { "{\($0)}" }.joined(separator: ", "))
            }
            parts.append(.placeholder(name == "table_name" ? "table" : name))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        guard parts.contains(.placeholder("table")), parts.contains(.placeholder("file_id")) else {
            throw SluiceError(.configuration, "\(label): must contain {table} (or {table_name}) and {file_id}")
        }
        guard !template.hasPrefix("/"), !template.split(separator: "/").contains("..") else {
            throw SluiceError(.configuration, "\(label): must be a relative path inside the dataset's folder")
        }
        self.parts = parts
    }

    /// The file's path under the dataset's folder.
    public func path(table: String, schemaName: String, loadId: String, fileId: String, ext: String) -> String {
        let values = Self.timeValues(micros: LoadIdTime.micros(loadId))
        return parts.map { part -> String in
            switch part {
            case .literal(let s): return s
            case .placeholder("table"): return table
            case .placeholder("schema_name"): return schemaName
            case .placeholder("load_id"): return loadId
            case .placeholder("file_id"): return fileId
            case .placeholder("ext"): return ext
            case .placeholder(let name): return values[name] ?? ""
            }
        }.joined()
    }

    /// The folder (under the dataset's) that holds every file of `table`: the layout up to its first
    /// placeholder other than the table, cut at the last `/`.
    public func folder(table: String, schemaName: String) -> String {
        var fixed = ""
        for part in parts {
            switch part {
            case .literal(let s): fixed += s
            case .placeholder("table"): fixed += table
            case .placeholder("schema_name"): fixed += schemaName
            case .placeholder: return fixed.range(of: "/", options: .backwards).map { String(fixed[..<$0.lowerBound]) } ?? ""
            }
        }
        return fixed.range(of: "/", options: .backwards).map { String(fixed[..<$0.lowerBound]) } ?? ""
    }

    /// Whether `path` (under the dataset's folder) is a file this layout gives `table`. Each placeholder
    /// matches only what it can render, so `issues` never claims the files of `issues__labels`.
    public func matches(_ path: String, table: String, schemaName: String) -> Bool {
        var pattern = "^"
        for part in parts {
            switch part {
            case .literal(let s): pattern += NSRegularExpression.escapedPattern(for: s)
            case .placeholder("table"): pattern += NSRegularExpression.escapedPattern(for: table)
            case .placeholder("schema_name"): pattern += NSRegularExpression.escapedPattern(for: schemaName)
            case .placeholder("load_id"): pattern += "[0-9]+\\.[0-9]+"
            case .placeholder("file_id"): pattern += "[0-9a-f]{10}"
            case .placeholder("ext"): pattern += "(?:jsonl|csv|parquet)(?:\\.gz)?"
            case .placeholder("curr_date"): pattern += "[0-9]{4}-[0-9]{2}-[0-9]{2}"
            case .placeholder("Q"): pattern += "[1-4]"
            case .placeholder(_): pattern += "[0-9]+"
            }
        }
        pattern += "$"
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        return regex.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil
    }

    /// The values of the time placeholders for a time in microseconds since the epoch (UTC).
    static func timeValues(micros: Int64) -> [String: String] {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = seconds - days * 86400
        let (y, mo, d) = Timestamps.civil(days: Int(days))
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let h = Int(rest / 3600), mi = Int(rest % 3600 / 60), s = Int(rest % 60)
        let year = String(y)
        return [
            "YYYY": year, "YY": String(year.suffix(2)), "Q": String((mo - 1) / 3 + 1), "MM": two(mo), "M": String(mo),
            "DD": two(d), "D": String(d), "HH": two(h), "H": String(h), "mm": two(mi), "m": String(mi), "ss": two(s), "s": String(s),
            "curr_date": year + "-" + two(mo) + "-" + two(d), "timestamp": String(seconds), "timestamp_ms": String(micros / 1000),
        ]
    }
}
