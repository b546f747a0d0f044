import Foundation
import PipelineCore

/// The bundled source packages, by the name a `[pipelines.<name>]` section gives as `source`.
///
/// An entry builds a ``Source`` from that section's settings, handed over as JSON so that source
/// packages depend on no configuration library; each decodes its own `Codable` settings.
public struct SourceCatalog: Sendable {
    public typealias Builder = @Sendable (_ pipeline: String, _ settings: Data) throws -> Source

    public private(set) var builders: [String: Builder]

    public init(builders: [String: Builder] = [:]) { self.builders = builders }

    public mutating func register(_ name: String, _ builder: @escaping Builder) { builders[name] = builder }

    public var names: [String] { builders.keys.sorted() }

    /// Builds the source `name` for `pipeline` from its JSON settings.
    public func source(_ name: String, pipeline: String, settings: Data) throws -> Source {
        guard let builder = builders[name] else {
            throw SluiceError(.configuration, "unknown source '\(name)'; bundled sources: \(names.joined(separator: ", "))")
        }
        return try builder(pipeline, settings)
    }

    /// Every source bundled with Sluice: those above, and the ``packages`` (SourcePackages.swift).
    public static let bundled: SourceCatalog = {
        var catalog = SourceCatalog()
        catalog.register("files", FilesSource.build)
        catalog.register("sql_database", SQLDatabaseSource.build)
        catalog.register("products", SQLDatabaseSource.products)
        catalog.register("rest_api", RESTAPISource.build)
        for package in packages { catalog.register(package) }
        return catalog
    }()
}
