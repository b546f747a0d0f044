import Foundation

extension Schema {
    /// The schema as pretty JSON with dlt's key names (`data_type`, `write_disposition`, ...).
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The schema as YAML, the same fields as ``jsonText()`` (tables and columns in order).
    public func yamlText() -> String {
        func scalar(_ s: String) -> String {
            let plain = s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" || $0 == "." }
            return plain && !s.isEmpty && !["true", "false", "null", "yes", "no"].contains(s.lowercased()) && Int(s) == nil
                ? s : JSONText.encode(.text(s))
        }
        var out = "name: \(scalar(name))\nversion: \(version)\ntables:\n"
        for t in tables {
            out += "  - name: \(scalar(t.name))\n"
            if let parent = t.parent { out += "    parent: \(scalar(parent))\n" }
            if let root = t.root { out += "    root: \(scalar(root))\n" }
            out += "    write_disposition: \(t.writeDisposition.rawValue)\n"
            if let strategy = t.mergeStrategy { out += "    merge_strategy: \(strategy.rawValue)\n" }
            out += "    columns:\n"
            for c in t.columns {
                out += "      - name: \(scalar(c.name))\n        data_type: \(c.dataType.rawValue)\n"
                if !c.nullable { out += "        nullable: false\n" }
                if c.primaryKey { out += "        primary_key: true\n" }
                if c.mergeKey { out += "        merge_key: true\n" }
                if c.hardDelete == true { out += "        hard_delete: true\n" }
                if c.variant { out += "        variant: true\n" }
            }
        }
        return out
    }
}
