import Foundation

/// How URLs appear in REST errors and logs: without their secrets.
///
/// The userinfo (`https://user:pass@host`) becomes `***`, and so does the value of every query parameter
/// whose name suggests a credential (it contains `key`, `token`, `secret`, `password`, `signature`,
/// `auth`, `session` or `credential`, in any case), plus the names an auth adds (``RESTAuth/queryParameters``).
public enum RESTRedaction {
    /// Name fragments of query parameters whose values are masked.
    public static let secretNameFragments = ["key", "token", "secret", "password", "passwd", "signature", "sig", "auth", "session",
                                             "credential"]

    /// `url` as text with its secrets masked; `extraNames` are more parameter names to mask.
    public static func redact(_ url: URL, extraNames: Set<String> = []) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return "<a URL>" }
        if components.user != nil || components.password != nil {
            components.user = "***"
            components.password = nil
        }
        if let items = components.queryItems {
            components.queryItems = items.map { item in
                isSecret(item.name, extraNames: extraNames) && item.value != nil ? URLQueryItem(name: item.name, value: "***") : item
            }
            components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "%2A%2A%2A", with: "***")
        }
        components.fragment = nil
        return components.string ?? "<a URL>"
    }

    /// Whether a query parameter of this name carries a secret.
    public static func isSecret(_ name: String, extraNames: Set<String> = []) -> Bool {
        let lower = name.lowercased()
        return extraNames.contains(name) || secretNameFragments.contains { lower.contains($0) }
    }
}
