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

/// How `merge` combines a load with the rows already in the table, as in dlt.
public enum MergeStrategy: String, Sendable, Codable, CaseIterable {
    /// Delete rows whose key is in the load (and their child rows), then insert the load's rows.
    case deleteInsert = "delete-insert"
    /// Update rows whose primary key is present in place, insert the others; child rows of updated rows are replaced.
    case upsert
    /// Keep history: each version of a row with `_dlt_valid_from` / `_dlt_valid_to`, the current one open-ended.
    /// Rows absent from the load are retired (restricted to the load's merge keys when a merge key is given).
    case scd2
}
