import Foundation

/// Test material kept outside the repository, in `../shared` beside it (dlt's own test inputs).
///
/// A fresh clone has no `../shared`: tests that need it are skipped with a message naming what is
/// missing, except when the environment variable `CI` is set, where they run and fail.
///
/// ```swift
/// @Test(.enabled(if: SharedMaterial.shouldRun("dlt_cases/inputs"), "needs ../shared/dlt_cases/inputs"))
/// func matchesDlt() throws {
///     let inputs = try SharedMaterial.require("dlt_cases/inputs")
/// }
/// ```
public enum SharedMaterial {
    /// The repository's root (this file is `Sources/SluiceTesting/SharedMaterial.swift`).
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `../shared/<relative>` beside the repository.
    public static func path(_ relative: String) -> String {
        repository.deletingLastPathComponent().path + "/shared/" + relative
    }

    /// Whether `../shared/<relative>` exists.
    public static func isPresent(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: path(relative))
    }

    /// Whether a missing material is a failure (CI is set) rather than a reason to skip.
    public static func isRequired(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        environment["CI"].map { !$0.isEmpty } ?? false
    }

    /// Whether a test needing `../shared/<relative>` should run: when it is there, or under CI (to fail).
    public static func shouldRun(_ relative: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        isPresent(relative) || isRequired(environment: environment)
    }

    /// The path of `../shared/<relative>`, or an error naming it.
    public static func require(_ relative: String) throws -> String {
        guard isPresent(relative) else { throw Missing(path: path(relative)) }
        return path(relative)
    }

    /// Material that is not there.
    public struct Missing: Error, CustomStringConvertible {
        /// The path looked for.
        public var path: String
        public var description: String { "missing \(path) (test material outside the repository; CI is set, so this fails)" }
    }
}
