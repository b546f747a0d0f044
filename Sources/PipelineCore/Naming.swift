import Foundation

/// dlt's `snake_case` naming convention, so tables and columns get the names dlt users expect.
///
/// Rules (from dlt 1.x): trim; `+ * @ | -` become `x x a l _`; runs of other characters that are
/// not ASCII letters, digits or `_` become one `_`; camelCase breaks into snake_case; lower-cased;
/// a leading digit gets a `_` prefix; trailing `_` become `x`; runs of `_` collapse to one.
/// Paths (`parent__child`) are split on `__`, normalized piecewise and joined again.
public enum Naming {
    /// Joins path fragments the way dlt joins nested names: `parent__child`.
    public static let pathSeparator = "__"
    /// The name dlt gives to an empty or blank key.
    public static let emptyKey = "_empty"

    /// Normalizes one identifier. Blank input gives ``emptyKey``.
    public static func normalizeIdentifier(_ identifier: String) -> String {
        var trimmed = identifier.trimmingWhitespace()
        if trimmed.isEmpty { return emptyKey }
        if let latin = transliterated(trimmed) { trimmed = latin }
        // 1. reduce the alphabet, 2. every run of other characters becomes one "_".
        var chars: [Character] = []
        chars.reserveCapacity(trimmed.count)
        var inRun = false
        for scalar in trimmed.unicodeScalars {
            var c = scalar
            switch scalar {
            case "+", "*": c = "x"
            case "-": c = "_"
            case "@": c = "a"
            case "|": c = "l"
            default: break
            }
            if isWordScalar(c) {
                chars.append(Character(c))
                inRun = false
            } else if !inRun {
                chars.append("_")
                inRun = true
            }
        }
        // 3. ([^_])([A-Z][a-z]+) -> \1_\2, scanned left to right without overlap.
        chars = breakCamel1(chars)
        // 4. ([a-z0-9])([A-Z]) -> \1_\2.
        chars = breakCamel2(chars)
        var s = String(chars).lowercasedASCII()
        if let first = s.unicodeScalars.first, isDecimalDigit(first) { s = "_" + s }
        var trailing = 0
        while s.hasSuffix("_") {
            s.removeLast()
            trailing += 1
        }
        s += String(repeating: "x", count: trailing)
        return collapseUnderscores(s)
    }

    /// Normalizes a `__`-separated path piece by piece, as dlt's `normalize_path` does.
    public static func normalizePath(_ path: String) -> String {
        let parts = path.components(separatedBy: pathSeparator).filter { !$0.trimmingWhitespace().isEmpty }
        if parts.isEmpty { return normalizeIdentifier(path) }
        return parts.map(normalizeIdentifier).joined(separator: pathSeparator)
    }

    /// Joins already-normalized fragments into a nested name.
    public static func join(_ fragments: [String]) -> String {
        fragments.filter { !$0.isEmpty }.joined(separator: pathSeparator)
    }

    /// A key written without any ASCII letter but with letters of another script (`Имя`, `Όνομα`,
    /// `名前`) in Latin letters (ICU's `Any-Latin; Latin-ASCII`: `Ima`, `Onoma`, `ming qian`), or `nil`.
    ///
    /// dlt's rule turns every such key into `x`, so a header row in Cyrillic or Greek collapses into one
    /// column; Sluice departs from dlt here and only here. Keys with an ASCII letter follow dlt exactly.
    static func transliterated(_ s: String) -> String? {
        var foreignLetter = false
        for u in s.unicodeScalars {
            if (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") { return nil }
            if !u.isASCII, u.properties.isAlphabetic { foreignLetter = true }
        }
        guard foreignLetter, let latin = s.applyingTransform(StringTransform("Any-Latin; Latin-ASCII"), reverse: false),
              latin.unicodeScalars.contains(where: { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") })
        else { return nil }
        return latin
    }

    // MARK: - helpers

    private static func isASCIIUpper(_ c: Character) -> Bool { c >= "A" && c <= "Z" && c.isASCII }
    private static func isASCIILower(_ c: Character) -> Bool { c >= "a" && c <= "z" && c.isASCII }
    private static func isASCIIDigit(_ c: Character) -> Bool { c >= "0" && c <= "9" && c.isASCII }

    /// Python's `\d` in a str pattern matches any Unicode decimal digit.
    private static func isDecimalDigit(_ s: Unicode.Scalar) -> Bool {
        s.properties.generalCategory == .decimalNumber
    }

    private static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || s == "_" || isDecimalDigit(s)
    }

    private static func breakCamel1(_ c: [Character]) -> [Character] {
        var out: [Character] = []
        out.reserveCapacity(c.count + 4)
        var i = 0
        while i < c.count {
            if i + 2 < c.count, c[i] != "_", isASCIIUpper(c[i + 1]), isASCIILower(c[i + 2]) {
                var end = i + 3
                while end < c.count, isASCIILower(c[end]) { end += 1 }
                out.append(c[i])
                out.append("_")
                out.append(contentsOf: c[(i + 1)..<end])
                i = end
            } else {
                out.append(c[i])
                i += 1
            }
        }
        return out
    }

    private static func breakCamel2(_ c: [Character]) -> [Character] {
        var out: [Character] = []
        out.reserveCapacity(c.count + 4)
        var i = 0
        while i < c.count {
            if i + 1 < c.count, isASCIILower(c[i]) || isASCIIDigit(c[i]), isASCIIUpper(c[i + 1]) {
                out.append(c[i])
                out.append("_")
                out.append(c[i + 1])
                i += 2
            } else {
                out.append(c[i])
                i += 1
            }
        }
        return out
    }

    private static func collapseUnderscores(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        var previousUnderscore = false
        for ch in s {
            if ch == "_" {
                if !previousUnderscore { out.append(ch) }
                previousUnderscore = true
            } else {
                out.append(ch)
                previousUnderscore = false
            }
        }
        return out
    }
}

extension String {
    /// Trims Unicode white space at both ends, as Python's `str.strip()` does.
    func trimmingWhitespace() -> String {
        // Most values start and end with printable ASCII, which is never white space: nothing to trim.
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F {
            return self
        }
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }

    func lowercasedASCII() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { s in
            s >= "A" && s <= "Z" ? Unicode.Scalar(s.value + 32)! : s
        }))
    }

    func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
