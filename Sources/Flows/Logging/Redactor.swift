/// Replaces secret values with `***` in text bound for logs, errors, run history and notifications.
///
/// It knows secrets two ways: the values it is given (every value of `secrets.toml` and of the
/// dlt-style environment overrides, fed by the `sluice` command), and passwords written inside
/// URLs (`postgresql://user:PASSWORD@host`), which it masks wherever they appear.
public struct Redactor: Sendable {
    /// Values shorter than this are not treated as secrets (masking `1` or `on` everywhere would
    /// garble logs without protecting anything).
    public static let minimumLength = 4
    public static let mask = "***"

    private var secrets: [String]

    public init(secrets: some Sequence<String> = []) {
        // Longest first, so a secret containing another is masked whole.
        self.secrets = Set(secrets.filter { $0.utf8.count >= Self.minimumLength }).sorted { $0.utf8.count > $1.utf8.count }
    }

    /// Adds a value to mask.
    public mutating func add(_ secret: String) {
        guard secret.utf8.count >= Self.minimumLength, !secrets.contains(secret) else { return }
        secrets.append(secret)
        secrets.sort { $0.utf8.count > $1.utf8.count }
    }

    public var isEmpty: Bool { secrets.isEmpty }

    /// `text` with every known secret and every URL password masked.
    public func redact(_ text: String) -> String {
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacing(secret, with: Self.mask)
        }
        return Self.maskURLPasswords(out)
    }

    /// Masks the password of `scheme://user:password@host` forms.
    static func maskURLPasswords(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var result = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            // The authority ends at the first '/', whitespace or quote; a password sits between ':' and the last '@' in it.
            let end = rest.firstIndex { $0 == "/" || $0 == " " || $0 == "\"" || $0 == "'" || $0 == "\n" } ?? rest.endIndex
            let authority = rest[..<end]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                result += authority[...colon] + mask + authority[at...]
            } else {
                result += authority
            }
            rest = rest[end...]
        }
        return result + rest
    }
}
