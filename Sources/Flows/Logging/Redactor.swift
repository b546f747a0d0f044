import Foundation

/// Replaces secret values with `***` in text bound for logs, errors, run history and notifications.
///
/// It knows secrets two ways: the values it is given (every value of `secrets.toml` and of the
/// dlt-style environment overrides, fed by the `sluice` command), and passwords written inside
/// URLs (`postgresql://user:PASSWORD@host`), which it masks wherever they appear.
///
/// A secret is masked in the forms it takes when printed: as given, each line of a multi-line secret
/// (a PEM key printed line by line), JSON-escaped (inside a JSON string) and percent-encoded (inside a URL).
public struct Redactor: Sendable {
    /// Values shorter than this are not treated as secrets (masking `1` or `on` everywhere would
    /// garble logs without protecting anything).
    public static let minimumLength = 4
    /// What a masked value is replaced by.
    public static let mask = "***"

    private var secrets: [String]

    /// A redactor masking `secrets` (values shorter than ``minimumLength`` are ignored).
    public init(secrets: some Sequence<String> = []) {
        // Longest first, so a secret containing another is masked whole.
        self.secrets = Set(secrets.flatMap(Self.forms)).sorted { $0.utf8.count > $1.utf8.count }
    }

    /// Adds a value to mask.
    public mutating func add(_ secret: String) {
        let new = Self.forms(of: secret).filter { !secrets.contains($0) }
        guard !new.isEmpty else { return }
        secrets.append(contentsOf: new)
        secrets.sort { $0.utf8.count > $1.utf8.count }
    }

    /// Whether nothing is masked but URL passwords.
    public var isEmpty: Bool { secrets.isEmpty }

    /// The texts that give `secret` away: itself, each of its lines, its JSON-escaped and percent-encoded forms.
    static func forms(of secret: String) -> [String] {
        var forms: Set<String> = [secret]
        let lines = secret.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
        if lines.count > 1 {
            for line in lines { forms.insert(line.trimmingCharacters(in: .whitespaces)) }
        }
        forms.insert(jsonEscaped(secret))
        forms.insert(jsonEscaped(secret).replacing("/", with: "\\/"))
        for allowed in percentEncodings {
            if let encoded = secret.addingPercentEncoding(withAllowedCharacters: allowed) { forms.insert(encoded) }
        }
        return forms.filter { $0.utf8.count >= minimumLength }
    }

    /// The characters left as they are by the percent-encodings a secret may come back in: a URL's query
    /// or path as URLComponents, form encoding or a server writes them (`a/b+c==` as `a/b%2Bc%3D%3D`,
    /// `a/b+c%3D%3D`, `a%2Fb%2Bc%3D%3D`...).
    static let percentEncodings: [CharacterSet] = {
        let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return [.alphanumerics, unreserved, unreserved.union(CharacterSet(charactersIn: "/")),
                .urlQueryAllowed, CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "+&=")),
                CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=")),
                CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "+&")), .urlPathAllowed]
    }()

    /// `text` as it appears between the quotes of a JSON string.
    static func jsonEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

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
