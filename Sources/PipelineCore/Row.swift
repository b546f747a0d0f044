/// An ordered list of named values: one record as a source produced it.
///
/// A row is an array, not a dictionary: field order is kept (it becomes column order), and
/// building one costs no hashing. Lookups by name are linear, which is right for rows of tens
/// of fields.
public struct Row: Sendable, Hashable {
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: Value
        public init(_ name: String, _ value: Value) {
            self.name = name
            self.value = value
        }
    }

    public var fields: [Field]

    public init(_ fields: [Field] = []) { self.fields = fields }

    public init(_ pairs: KeyValuePairs<String, Value>) {
        self.fields = pairs.map { Field($0.key, $0.value) }
    }

    public mutating func append(_ name: String, _ value: Value) {
        fields.append(Field(name, value))
    }

    /// The value of the first field with this name, or `nil` when there is none.
    public subscript(name: String) -> Value? {
        for field in fields where field.name == name { return field.value }
        return nil
    }

    public var count: Int { fields.count }
}

extension Row: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.fields = elements.map { Field($0.0, $0.1) }
    }
}
