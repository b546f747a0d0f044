import PipelineCore
import TOMLKit

/// The shape a TOML file must have: which keys a table may hold and what type each value is.
///
/// ``ConfigSchema/validate(_:file:)`` walks a parsed file and reports every unknown key and wrongly typed
/// value as a ``ConfigIssue`` naming the file, the table path and the key, never the value.
///
/// ```swift
/// let schema = ConfigSchema.table(["retries": .list(.number), "timeout": .number])
/// let issues = schema.validate(try TOMLTable(string: text), file: "sluice.toml")
/// ```
public indirect enum ConfigSchema: Sendable {
    /// A string.
    case string
    /// An integer.
    case integer
    /// An integer or a floating-point number.
    case number
    /// `true` or `false`.
    case boolean
    /// A string, integer, number or date: any single value (secrets such as `password = 20261130`).
    case scalar
    /// One of these strings.
    case oneOf([String])
    /// An array whose items all have this shape.
    case list(ConfigSchema)
    /// A table with these keys (all optional but `required`).
    case table([String: ConfigSchema], required: [String] = [])
    /// A table whose keys are names chosen by the user (`kind` says what they name), each value of this shape.
    /// With `safeNames`, keys must be ``SafeName``s: they become file and table names.
    case map(ConfigSchema, kind: String, safeNames: Bool = false)
    /// A table whose keys depend on the value of its `tag` key (a pipeline's `source`): `common` keys plus
    /// those of the variant the tag names.
    case tagged(tag: String, common: [String: ConfigSchema], variants: [String: ConfigSchema])
    /// Either shape (a connection string or a table of its parts).
    case either(ConfigSchema, ConfigSchema)
    /// Anything: checked elsewhere (a flow section) or owned by someone else (a source's own secrets).
    case open

    /// Every issue of `root` against this schema.
    public func validate(_ root: TOMLTable, file: String) -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        check(root, path: [], key: nil, file: file, into: &issues)
        return issues
    }

    /// What a value of this shape looks like, for messages: "a string", "a list of strings".
    var expected: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "true or false"
        case .scalar: "a single value (a string or a number)"
        case .oneOf(let values): "one of " + values.map { "\"\($0)\"" }.joined(separator: ", ")
        case .list(let item): "a list of " + item.plural
        case .table, .map, .tagged: "a table"
        case .either(let a, let b): "\(a.expected) or \(b.expected)"
        case .open: "anything"
        }
    }

    private var plural: String {
        switch self {
        case .string: "strings"
        case .integer: "integers"
        case .number: "numbers"
        default: "values of \(expected)"
        }
    }

    /// Whether `value` has this shape, not looking inside tables.
    private func accepts(_ value: any TOMLValueConvertible) -> Bool {
        switch (self, value.type) {
        case (.string, .string), (.integer, .int), (.number, .int), (.number, .double), (.boolean, .bool): true
        case (.scalar, let type): ![.table, .array, .bool].contains(type)
        case (.oneOf(let values), .string): values.contains(value.string ?? "")
        case (.list, .array): true
        case (.table, .table), (.map, .table), (.tagged, .table): true
        case (.either(let a, let b), _): a.accepts(value) || b.accepts(value)
        case (.open, _): true
        default: false
        }
    }

    /// The largest number a setting may hold: 2^53, the last integer a double holds exactly. Larger values
    /// (and `inf`, `nan`) are no one's seconds, rows or pages, and would overflow what they are turned into.
    static let largestNumber = 9_007_199_254_740_992.0

    private func check(_ value: any TOMLValueConvertible, path: [String], key: String?, file: String, into issues: inout [ConfigIssue]) {
        func issue(_ message: String) { issues.append(ConfigIssue(file: file, path: path, key: key, message: message)) }
        if let number = value.double ?? value.int.map(Double.init), !(abs(number) <= Self.largestNumber) {
            issue("expected a finite number no larger than 2^53 in size")
            return
        }
        guard accepts(value) else {
            var message = "expected \(expected), got " + Self.describe(value.type)
            if case .oneOf(let values) = self, let given = value.string {
                message = "expected \(expected)" + (DidYouMean.suggestion(for: given, among: values).map { " (did you mean \"\($0)\"?)" } ?? "")
            }
            issue(message)
            return
        }
        let inner = key.map { path + [$0] } ?? path
        switch self {
        case .list(let item):
            for element in value.array ?? [] { item.check(element, path: path, key: key, file: file, into: &issues) }
        case .either(let a, let b):
            (a.accepts(value) ? a : b).check(value, path: path, key: key, file: file, into: &issues)
        case .table(let keys, let required):
            guard let table = value.table else { return }
            Self.checkKeys(table, keys, required: required, path: inner, file: file, into: &issues)
        case .map(let item, let kind, let safeNames):
            guard let table = value.table else { return }
            for name in table.keys.sorted() {
                if safeNames, !SafeName.isSafe(name) {
                    issues.append(ConfigIssue(file: file, path: inner, key: name,
                                              message: "\(kind) name is not allowed: use 1 to \(SafeName.maximumLength) letters, digits, '_' or '-'"))
                    continue
                }
                if let v = table[name] { item.check(v, path: inner, key: name, file: file, into: &issues) }
            }
        case .tagged(let tag, let common, let variants):
            guard let table = value.table else { return }
            guard let name = table[tag]?.string else {
                issues.append(ConfigIssue(file: file, path: inner, key: tag,
                                          message: "missing: one of " + variants.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")))
                return
            }
            if case .open? = variants[name] {
                // A source registered by an embedding executable: it checks its own keys when it decodes them.
                for (key, schema) in common { if let v = table[key] { schema.check(v, path: inner, key: key, file: file, into: &issues) } }
                return
            }
            guard case .table(let own, let required)? = variants[name] else {
                let known = variants.keys.sorted()
                issues.append(ConfigIssue(file: file, path: inner, key: tag,
                                          message: "unknown \(tag) \"\(name)\" (known: \(known.joined(separator: ", ")))"
                                              + (DidYouMean.suggestion(for: name, among: known).map { "; did you mean \"\($0)\"?" } ?? "")))
                return
            }
            Self.checkKeys(table, common.merging(own) { a, _ in a }, required: required, path: inner, file: file, into: &issues)
        default: break
        }
    }

    private static func checkKeys(_ table: TOMLTable, _ keys: [String: ConfigSchema], required: [String], path: [String], file: String,
                                  into issues: inout [ConfigIssue])
    {
        for name in table.keys.sorted() {
            guard let schema = keys[name] else {
                let hint = DidYouMean.suggestion(for: name, among: Array(keys.keys)).map { " (did you mean '\($0)'?)" }
                    ?? " (known keys: \(keys.keys.sorted().joined(separator: ", ")))"
                issues.append(ConfigIssue(file: file, path: path, key: name, message: "unknown key" + hint))
                continue
            }
            if let v = table[name] { schema.check(v, path: path, key: name, file: file, into: &issues) }
        }
        for name in required where table[name] == nil {
            issues.append(ConfigIssue(file: file, path: path, key: name, message: "missing: \(keys[name]?.expected ?? "a value") is required"))
        }
    }

    private static func describe(_ type: TOMLType) -> String {
        switch type {
        case .table: "a table"
        case .array: "a list"
        case .string: "a string"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .date: "a date"
        case .time: "a time"
        case .dateTime: "a date-time"
        }
    }
}
