/// A load package that is not loaded yet, or was set aside: what `sluice packages` lists.
public struct PackageSummary: Sendable, Hashable {
    /// Where a package is: waiting for a stage, or set aside after a failure.
    public enum Stage: String, Sendable {
        /// Extracted, not normalized yet.
        case extracted
        /// Normalized, not loaded yet.
        case normalized
        /// Set aside: its data could not be normalized or loaded; never retried unless asked.
        case failed
    }

    public var loadId: String
    public var stage: Stage
    /// Rows per table (extracted: per resource's table; normalized: per table, children included).
    public var rowCounts: [Count]
    /// For a failed package: the error that set it aside, and the stage that failed.
    public var error: String?
    public var failedStage: String?

    /// Rows of one table.
    public struct Count: Sendable, Hashable {
        public var table: String
        public var rows: Int
        public init(table: String, rows: Int) {
            self.table = table
            self.rows = rows
        }
    }
}
