import Foundation
import PipelineCore

/// A source package: one folder under `Sources/Sources/<Name>/`, registered in ``SourceCatalog/bundled``
/// through ``SourceCatalog/packages`` (one line, which `sluice new source` adds).
///
/// `name` is what a `[pipelines.<p>]` section gives as `source`; `build` makes the ``Source`` from that
/// section as JSON (its credentials from `[sources.<p>.credentials]` in secrets.toml added under
/// `credentials`), usually by decoding ``SourceSettings``.
public protocol SourcePackage: Sendable {
    /// The name in `source = "..."`: snake_case, a ``SafeName``.
    static var name: String { get }
    /// The source of pipeline `pipeline`, from its section's JSON settings.
    static func build(pipeline: String, settings: Data) throws -> Source
}

/// The settings of a source package, decoded strictly: a key its section may not hold is an error
/// naming the section and the key, as ``ProjectSchema`` does for the bundled sources' keys.
public protocol SourceSettings: Decodable, Sendable {
    /// The keys of its `[pipelines.<p>]` section besides `source`, `destination`, `dataset` and `flow`.
    static var keys: Set<String> { get }
}

extension SourceSettings {
    /// Keys every pipeline section holds (the project reads them), and the credentials the project adds.
    public static var commonKeys: Set<String> { ["source", "destination", "dataset", "flow", "credentials"] }

    /// Decodes the settings of `source` for `pipeline`; an unknown key or a missing or mistyped value is a
    /// configuration error naming the section and the key, never a value.
    public static func decode(_ settings: Data, source: String, pipeline: String) throws -> Self {
        let section = "[pipelines.\(pipeline)]"
        if let object = try? JSONSerialization.jsonObject(with: settings) as? [String: Any] {
            let allowed = keys.union(commonKeys)
            if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw SluiceError(.configuration, "\(section) \(unknown): unknown key of the \(source) source "
                    + "(keys: \(keys.sorted().joined(separator: ", ")))")
            }
        }
        do { return try JSONDecoder().decode(Self.self, from: settings) } catch {
            throw SluiceError(.configuration, "\(section): invalid \(source) settings (\(decodingSummary(error)))")
        }
    }
}

/// A source package's secrets as its settings receive them: the table `[sources.<pipeline>.credentials]`
/// of secrets.toml (each key overridable by `SOURCES__<PIPELINE>__CREDENTIALS__<KEY>`), or a single string.
public struct PackageCredentials: Decodable, Sendable, Equatable {
    /// The named secrets (`token`, `api_key`, ...); a single string is kept under `""`.
    public var values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) { values = ["": text] } else { values = try c.decode([String: String].self) }
    }

    /// The secret `key`, `nil` when missing or empty.
    public func value(_ key: String) -> String? {
        values[key].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The secret `key`, else an error naming the secrets.toml key and the environment variable, never a value.
    public static func require(_ credentials: PackageCredentials?, _ key: String, pipeline: String, for purpose: String) throws -> String {
        if let value = credentials?.value(key) { return value }
        throw SluiceError(.configuration, "pipeline \(pipeline): \(purpose) needs \(key) in [sources.\(pipeline).credentials] of "
            + "secrets.toml (or SOURCES__\(pipeline.uppercased())__CREDENTIALS__\(key.uppercased()))")
    }
}

extension SourceCatalog {
    /// Registers a source package under its name.
    public mutating func register(_ package: any SourcePackage.Type) {
        register(package.name) { pipeline, settings in try package.build(pipeline: pipeline, settings: settings) }
    }
}
