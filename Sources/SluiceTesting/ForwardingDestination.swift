import PipelineCore

/// A destination that hands every call to `base`: a test's wrapper implements only what it watches or
/// changes, and forgets no requirement a later change of ``Destination`` adds (a wrapper written out by
/// hand passed the new ones to the protocol's defaults instead).
public protocol ForwardingDestination: Destination {
    associatedtype Base: Destination
    var base: Base { get }
}

extension ForwardingDestination {
    public var name: String { base.name }
    public var location: String { base.location }
    public var limits: DestinationLimits { base.limits }
    public func load(_ package: NormalizedPackage) async throws { try await base.load(package) }
    public func storedSchema(named name: String) async throws -> Schema? { try await base.storedSchema(named: name) }
    public func storedState(pipeline: String) async throws -> PipelineState? { try await base.storedState(pipeline: pipeline) }
    public func drop(_ schema: Schema) async throws { try await base.drop(schema) }
    public func tableHasRows(_ table: String) async throws -> Bool? { try await base.tableHasRows(table) }
    public func withRunLock<T>(pipeline: String, _ body: () async throws -> T) async throws -> T {
        try await base.withRunLock(pipeline: pipeline, body)
    }
    public func beginLoad(schemaName: String, loadId: String) throws -> (any LoadSession)? {
        try base.beginLoad(schemaName: schemaName, loadId: loadId)
    }
    public var opensSessionAfterExtract: Bool { base.opensSessionAfterExtract }
}
