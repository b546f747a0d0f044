extension DecodingError {
    /// A short, user-facing account of the fault: the key path and what was expected, never Swift's
    /// internal type names or the value (`tables.items.write_disposition: not a valid value`).
    public var summary: String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? "the settings" : text
        }
        switch self {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])): missing"
        case .typeMismatch(_, let context): return "\(path(context.codingPath)): wrong type of value"
        case .valueNotFound(_, let context): return "\(path(context.codingPath)): missing value"
        case .dataCorrupted(let context): return "\(path(context.codingPath)): not a valid value"
        @unknown default: return "invalid settings"
        }
    }
}

/// A user-facing account of any error met while decoding settings.
public func decodingSummary(_ error: any Error) -> String {
    (error as? DecodingError)?.summary ?? "invalid settings"
}
