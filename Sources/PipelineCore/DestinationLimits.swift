/// What a destination cannot hold, checked before a load so that bad data fails early, naming the
/// file, line and column, instead of failing the load's transaction.
///
/// ```swift
/// public var limits: DestinationLimits { DestinationLimits(maxColumns: 1600, textHoldsNUL: false) }
/// ```
public struct DestinationLimits: Sendable, Hashable {
    /// The most columns a table may have (system columns included); `nil` for no limit.
    public var maxColumns: Int?
    /// Whether text (and JSON) values may contain the NUL character (U+0000). Postgres text cannot.
    public var textHoldsNUL: Bool
    /// Why the destination refuses write disposition `merge` (naming destinations that support it), or
    /// `nil` when it merges. A resource asking for `merge` fails before anything is extracted.
    public var refusesMerge: String?
    /// The longest table name in UTF-8 bytes (a list nested many levels deep makes a long child-table
    /// name), or `nil` for no limit. The filesystem destination names a folder after each table.
    public var maxTableNameBytes: Int?

    /// No limits: any width, any text.
    public init(maxColumns: Int? = nil, textHoldsNUL: Bool = true) {
        self.maxColumns = maxColumns
        self.textHoldsNUL = textHoldsNUL
    }
}

extension Destination {
    /// By default a destination declares no limits.
    public var limits: DestinationLimits { DestinationLimits() }
}
