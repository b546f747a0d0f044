/// Reading the five fields of a cron expression (see ``CronSchedule`` for the syntax).
extension CronSchedule {
    /// What a field may hold.
    struct FieldSpec {
        let name: String
        let range: ClosedRange<Int>
        let names: [String]   // names[i] stands for range.lowerBound + i ... (months from 1, days from 0)
        let nameBase: Int
        let allowsQuestionMark: Bool

        static let minute = FieldSpec(name: "minute", range: 0...59, names: [], nameBase: 0, allowsQuestionMark: false)
        static let hour = FieldSpec(name: "hour", range: 0...23, names: [], nameBase: 0, allowsQuestionMark: false)
        static let dayOfMonth = FieldSpec(name: "day of month", range: 1...31, names: [], nameBase: 0, allowsQuestionMark: true)
        static let month = FieldSpec(name: "month", range: 1...12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
                                     nameBase: 1, allowsQuestionMark: false)
        static let dayOfWeek = FieldSpec(name: "day of week", range: 0...7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
                                         nameBase: 0, allowsQuestionMark: true)
    }

    /// A parsed field: the plain values as a bit set, the `L`/`#`/`nL` extras, and whether it began with `*` or `?`.
    struct ParsedField {
        var bits: UInt64 = 0
        var star = false
        var last = false              // `L` in day of month
        var nth: UInt64 = 0           // `d#n` in day of week: bit d * 5 + (n - 1)
        var lastWeekdays: UInt8 = 0   // `dL` in day of week
    }

    /// The shorthands Vixie cron and croniter accept.
    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Splits `expression` into its five fields (after expanding a macro), or says what is wrong with its shape.
    static func fields(of expression: String) throws -> [String] {
        let trimmed = expression.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("@") {
            guard let expanded = macros[trimmed.lowercased()] else {
                throw ScheduleError(field: "expression", token: trimmed,
                                    reason: "is not a cron shorthand (use @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually)",
                                    expression: expression)
            }
            return expanded.split(separator: " ").map(String.init)
        }
        let parts = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        switch parts.count {
        case 5: return parts
        case 6:
            throw ScheduleError(field: "expression", token: "", reason: "has 6 fields: a seconds field is not supported; write 5 fields: minute hour day-of-month month day-of-week",
                                expression: expression)
        case 7:
            throw ScheduleError(field: "expression", token: "", reason: "has 7 fields (seconds and years, as Quartz writes them): write 5 fields: minute hour day-of-month month day-of-week",
                                expression: expression)
        default:
            throw ScheduleError(field: "expression", token: "", reason: "has \(parts.count) fields; a cron expression has 5: minute hour day-of-month month day-of-week",
                                expression: expression)
        }
    }

    /// Parses one field: lists of `*`, `?`, values, names, ranges `a-b`, steps `*/n` `a-b/n` `a/n`,
    /// and in the day fields `L`, `d#n`, `dL`.
    static func parse(_ text: String, _ spec: FieldSpec, expression: String) throws -> ParsedField {
        func fail(_ token: String, _ reason: String) -> ScheduleError {
            ScheduleError(field: spec.name, token: token, reason: reason, expression: expression)
        }
        var field = ParsedField()
        field.star = text.hasPrefix("*") || (spec.allowsQuestionMark && text.hasPrefix("?"))
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !item.isEmpty else { throw fail(text, "has an empty item in its list") }
            let upper = item.uppercased()
            if spec.name == FieldSpec.dayOfMonth.name, upper == "L" { field.last = true; continue }
            if spec.name == FieldSpec.dayOfWeek.name, let hash = upper.firstIndex(of: "#") {
                let day = try value(String(upper[..<hash]), spec, item: item, fail) % 7
                guard let n = Int(upper[upper.index(after: hash)...]), (1...5).contains(n) else {
                    throw fail(item, "names an occurrence that is not 1-5 (5#2 is the second Friday)")
                }
                field.nth |= 1 << UInt64(day * 5 + n - 1)
                continue
            }
            if spec.name == FieldSpec.dayOfWeek.name, upper.count > 1, upper.hasSuffix("L") || upper.hasPrefix("L") {
                // `5L` (Quartz, Prefect's docs) or `L5` (croniter): the last Friday of the month.
                let day = try value(String(upper.hasSuffix("L") ? upper.dropLast() : upper.dropFirst()), spec, item: item, fail) % 7
                field.lastWeekdays |= 1 << UInt8(day)
                continue
            }
            let pieces = upper.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2 else { throw fail(item, "has more than one step") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { throw fail(item, "has a step that is not a positive number") }
                step = s
            }
            let base = pieces[0]
            var low: Int, high: Int
            if base == "*" || (spec.allowsQuestionMark && base == "?") {
                (low, high) = (spec.range.lowerBound, spec.name == FieldSpec.dayOfWeek.name ? 6 : spec.range.upperBound)
            } else if let dash = base.firstIndex(of: "-"), dash != base.startIndex {
                low = try value(String(base[..<dash]), spec, item: item, fail)
                high = try value(String(base[base.index(after: dash)...]), spec, item: item, fail)
                guard low <= high else { throw fail(item, "runs backwards (write the smaller value first)") }
            } else {
                low = try value(base, spec, item: item, fail)
                high = pieces.count == 2 ? spec.range.upperBound : low
            }
            for v in stride(from: low, through: high, by: step) {
                field.bits |= 1 << UInt64(spec.name == FieldSpec.dayOfWeek.name ? v % 7 : v)
            }
        }
        return field
    }

    /// A number or a name (JAN, MON...; case does not matter), within the field's range.
    private static func value(_ token: String, _ spec: FieldSpec, item: String, _ fail: (String, String) -> ScheduleError) throws -> Int {
        let result: Int
        if let number = Int(token), token.allSatisfy({ $0.isASCII && $0.isNumber }) {
            result = number
        } else if let index = spec.names.firstIndex(of: token) {
            result = spec.nameBase + index
        } else {
            let names = spec.names.isEmpty ? "" : " or a name (\(spec.names.joined(separator: " ")))"
            if token.contains("W") && spec.name == FieldSpec.dayOfMonth.name {
                throw fail(item, "is not supported (W, the nearest weekday, is not; day of month takes numbers, ranges, steps and L)")
            }
            if token.contains("L") || token.contains("#") {
                throw fail(item, "is not supported here (L alone is the last day in day of month; 5L and 5#2 are for day of week)")
            }
            if token.isEmpty { throw fail(item, "is missing a value") }
            throw fail(item, token == item.uppercased() ? "is not a number\(names)" : "has '\(token)', which is not a number\(names)")
        }
        guard spec.range.contains(result) else {
            throw fail(item, "is out of range \(spec.range.lowerBound)-\(spec.range.upperBound)")
        }
        return result
    }
}
