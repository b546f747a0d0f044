/// The column types of a schema, named as dlt names them.
public enum DataType: String, Sendable, Codable, CaseIterable, Hashable {
    case text, double, bool, timestamp, bigint, binary, json, decimal, date

}
