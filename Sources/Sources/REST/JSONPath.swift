import PipelineCore

/// A path into a JSON body in dlt's dotted form: `data.items`, `meta.next_cursor`, `results.0.id`
/// (a number steps into a list); `$` or an empty path is the whole body, a leading `$.` is allowed.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let steps: [String]

    public init(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("$") { text = text.dropFirst() }
        if text.hasPrefix(".") { text = text.dropFirst() }
        steps = text.isEmpty ? [] : text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    public init(stringLiteral value: String) { self.init(value) }

    public var description: String { steps.isEmpty ? "$" : steps.joined(separator: ".") }

    /// The value at this path, or `nil` when a step is missing (a `null` on the way is missing too).
    public func value(in root: Value) -> Value? {
        var current = root
        for step in steps {
            switch current {
            case .object(let row):
                guard let next = row[step] else { return nil }
                current = next
            case .array(let items):
                guard let k = Int(step), items.indices.contains(k) else { return nil }
                current = items[k]
            default:
                return nil
            }
        }
        return current
    }

    /// The value at this path as text: strings as they are, numbers and booleans written out; `nil` for a
    /// missing value, `null` and empty text.
    public func text(in root: Value) -> String? {
        guard let value = value(in: root) else { return nil }
        switch value {
        case .null: return nil
        case .text(let s): return s.isEmpty ? nil : s
        case .bigint(let i): return String(i)
        case .decimal(let s): return s
        case .double(let d): return d.description
        case .bool(let b): return b ? "true" : "false"
        default: return JSONText.encode(value)
        }
    }

    /// The value at this path as an integer (a number, or text holding one).
    public func integer(in root: Value) -> Int? {
        switch value(in: root) {
        case .bigint(let i)?: return Int(exactly: i)
        case .double(let d)?: return Int(exactly: d)
        case .text(let s)?: return Int(s)
        default: return nil
        }
    }
}

/// Where a page's records are in its body, as dlt's `data_selector`: a ``JSONPath``.
///
/// The value found there gives the records: a list gives its items, an object is one record, `null`
/// gives none. A path that is not in the body is an error naming the path and the keys that are there:
/// a misspelled selector must not read as "no records".
public struct RecordSelector: Sendable, Hashable {
    public var path: JSONPath

    /// The whole body (a list of records, or one record).
    public static let body = RecordSelector(JSONPath(""))

    public init(_ path: JSONPath) { self.path = path }

    /// The records of `body`; `url` names the page in errors.
    public func records(in body: Value, url: String) throws -> [Value] {
        guard let found = path.value(in: body) else {
            if case .null = body { return [] }
            var keys = ""
            if case .object(let row) = body { keys = " (top-level keys: \(row.fields.map(\.name).prefix(20).joined(separator: ", ")))" }
            throw SluiceError(.badInput, "the response of GET \(url) has nothing at data_selector \"\(path)\"\(keys)")
        }
        switch found {
        case .array(let items): return items
        case .null: return []
        default: return [found]
        }
    }
}
