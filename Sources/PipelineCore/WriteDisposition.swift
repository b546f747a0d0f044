/// How a load treats rows already in the destination table, as in dlt.
public enum WriteDisposition: String, Sendable, Codable, CaseIterable {
    /// Add the rows.
    case append
    /// Replace the table's rows (and its child tables' rows) with the rows of this load.
    case replace
    /// Replace rows whose primary key is already present, insert the others
    /// (`delete-insert`: duplicates of a key within one load collapse to the last one).
    case merge
}
