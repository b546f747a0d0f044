/// Checks names that become file and folder names (pipelines, datasets, tables) before they touch a path.
///
/// A safe name is 1 to 64 ASCII letters, digits, `_` and `-`, not starting with `-`: no `/`, no `..`,
/// nothing a shell or a file system reads specially, and short enough for every destination's identifiers.
///
/// ```swift
/// try SafeName.check("../../tmp/x", as: "table")   // throws: table name '../../tmp/x' is not allowed ...
/// ```
public enum SafeName {
    /// The longest name accepted.
    public static let maximumLength = 64

    /// Whether `name` is safe to use in a path.
    public static func isSafe(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maximumLength, name.utf8.first != UInt8(ascii: "-") else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// Throws a configuration error naming `kind` (`"pipeline"`, `"dataset"`, `"table"`) when `name` is not safe.
    public static func check(_ name: String, as kind: String, file: String? = nil) throws {
        guard !isSafe(name) else { return }
        let shown = name.count > 40 ? String(name.prefix(40)) + "... (\(name.utf8.count) bytes)" : name
        throw SluiceError(.configuration,
                          "\(kind) name '\(shown)' is not allowed: use 1 to \(maximumLength) letters, digits, '_' or '-' "
                              + "(not starting with '-'), as it names files and folders", file: file)
    }
}
