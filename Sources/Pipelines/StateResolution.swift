import PipelineCore

/// The state a run starts from, as read from the destination it loads into.
struct StateResolution: Sendable {
    /// The destination's newest stored state for the pipeline, `nil` when it holds none.
    var stored: PipelineState?
    /// The state a new package builds on: the stored one (or the initial state), followed by any package
    /// not loaded yet that was extracted from it. A new state names this one as its parent.
    var base: PipelineState
    /// What the resources start from: ``base`` without the resources reset below.
    var effective: PipelineState
    /// Resources whose stored state was set aside because the table they feed is missing or empty in the
    /// destination (deleted, dropped or emptied under a kept cursor): they start from their initial value.
    var resetResources: [String] = []

    /// The state a run builds after extracting `resources`: unchanged, or the successor of ``base``.
    func next(with resources: [String: ResourceState]) -> PipelineState? {
        resources == effective.resources ? nil : base.successor(resources: resources)
    }
}
