import Foundation

extension PipelineState {
    /// A hash of the whole state (version, parent and every resource), the same on every machine: what a
    /// commit compares to know that the destination still holds the state a package was computed from.
    public var fingerprint: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a Codable struct of strings, numbers and dictionaries cannot fail.
        let json = (try? encoder.encode(self)) ?? Data()
        return SHA256.hex(String(decoding: json, as: UTF8.self))
    }

    /// The state that follows this one: one version later, chained to it by ``parent``.
    public func successor(resources: [String: ResourceState]) -> PipelineState {
        PipelineState(pipeline: pipeline, version: version + 1, resources: resources, parent: fingerprint)
    }

    /// Whether `stored` (the destination's newest state for the pipeline, `nil` when it has none) is the
    /// state this one was computed from. A state without a parent (from before states were chained)
    /// is not checked.
    public func follows(_ stored: PipelineState?) -> Bool {
        guard let parent else { return true }
        return parent == (stored ?? PipelineState(pipeline: pipeline)).fingerprint
    }
}
