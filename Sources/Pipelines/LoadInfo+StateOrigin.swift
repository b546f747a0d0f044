import PipelineCore

extension LoadInfo {
    /// Where a run's pipeline state came from: the destination it loaded into, which is the truth.
    public struct StateOrigin: Sendable {
        /// The version of the state the destination held when the run started; `nil` when it held none
        /// (a new, deleted or dropped destination or dataset): every resource started from its initial value.
        public var storedVersion: Int?
        /// Incremental resources of the run (those a missing state makes start over).
        public var incrementalResources: [String]
        /// Resources whose stored cursor was set aside because the table they feed is missing or empty in
        /// the destination: they started from their initial value.
        public var resetResources: [String]
        /// Packages dropped because they were extracted from a state the destination no longer holds
        /// (another destination's, or another run committed first); their rows were extracted again.
        public var droppedPackages: [String]

        init(_ start: StateResolution, source: Source, droppedPackages: [String]) {
            storedVersion = start.stored?.version
            incrementalResources = source.resources.filter { $0.hints.incremental != nil }.map(\.name)
            resetResources = start.resetResources
            self.droppedPackages = droppedPackages
        }

        /// The lines the load info prints about the state, if any.
        var lines: [String] {
            var lines: [String] = []
            if storedVersion == nil, !incrementalResources.isEmpty {
                lines.append("No state stored for this pipeline in the destination: \(incrementalResources.joined(separator: ", ")) started from the initial value")
            }
            for resource in resetResources {
                lines.append("The table of \(resource) is missing or empty in the destination: \(resource) started from its initial value")
            }
            for id in droppedPackages where !id.isEmpty {
                lines.append("Package \(id) was dropped: it was extracted from a state the destination no longer holds; its rows were extracted again")
            }
            return lines
        }
    }
}
