extension JSONText {
    /// Compact JSON text of a value; dates and timestamps as ISO 8601 strings, binary as base64.
    public static func encode(_ value: Value) -> String {
        var out = ""
        write(value, to: &out)
        return out
    }

    static func write(_ value: Value, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .bigint(let i): out += String(i)
        case .double(let d): out += d.isFinite ? d.description : "null"
        case .decimal(let s): out += s
        case .text(let s): writeString(s, to: &out)
        case .date, .timestamp: writeString(value.textForm, to: &out)
        case .binary(let b): writeString(Base64.encode(b), to: &out)
        case .object(let row):
            out += "{"
            for (k, f) in row.fields.enumerated() {
                if k > 0 { out += "," }
                writeString(f.name, to: &out)
                out += ":"
                write(f.value, to: &out)
            }
            out += "}"
        case .array(let items):
            out += "["
            for (k, v) in items.enumerated() {
                if k > 0 { out += "," }
                write(v, to: &out)
            }
            out += "]"
        }
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(scalar.value, radix: 16).leftPadded(4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
