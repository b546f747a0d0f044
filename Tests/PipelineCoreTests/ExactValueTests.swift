import PipelineCore
import Testing

/// Values read from text keep what they say: number inference, dlt's text-to-timestamp coercion,
/// duplicate JSON keys, exact floats and the names of keys in other scripts.
@Suite("exact values from text")
struct ExactValueTests {
    @Test(arguments: [
        ("0", Value?.some(.bigint(0))),
        ("-17", .bigint(-17)),
        ("9223372036854775807", .bigint(Int64.max)),
        ("12345678901234567890", .decimal("12345678901234567890")),
        ("-98765432109876543210", .decimal("-98765432109876543210")),
        ("1.5", .double(1.5)),
        ("1.50", .double(1.5)),
        ("0.000123", .double(0.000123)),
        ("6.02e23", .double(6.02e23)),
        ("123456789012345.6", .decimal("123456789012345.6")),  // 16 significant digits
        ("3.14159265358979323846", .decimal("3.14159265358979323846")),
        ("02116", nil), ("007", nil), ("00.5", nil), ("+5", nil), ("0x1F", nil), (" 1", nil), ("1.", nil),
        (".5", nil), ("1e", nil), ("1e400", nil), ("NaN", nil), ("", nil), ("-", nil),
    ])
    func numbersAreInferredOnlyWhenExact(text: String, expected: Value?) {
        #expect(Value.exactNumber(text) == expected)
    }

    static let at = Value.timestamp(1_634_132_972_000_000)  // 2021-10-13T13:49:32Z

    /// dlt's `coerce_value(timestamp, text)`: ISO 8601 in both formats (pendulum), then epoch seconds.
    @Test(arguments: [
        ("2021-10-13T13:49:32Z", Value?.some(at)),
        ("2021-10-13 13:49:32", at),
        ("2021-10-13T15:49:32+02:00", at),
        ("20211013T134932Z", at),
        ("20211013T134932", at),
        ("20211013T154932+0200", at),
        ("20211013T1349", .timestamp(1_634_132_940_000_000)),
        ("20211013", .timestamp(1_634_083_200_000_000)),
        ("2021/10/13 13:49:32", at),
        ("2021", .timestamp(1_609_459_200_000_000)),
        ("1634132972", at),
        (" 1634132972 ", at),
        ("1634132972.5", .timestamp(1_634_132_972_500_000)),
        ("soon", nil),
        ("2021-13-01", nil),
        ("20211313T134932Z", nil),
    ])
    func textCoercesToATimestampAsInDlt(text: String, expected: Value?) {
        #expect(Value.text(text).coerced(to: .timestamp) == expected)
    }

    @Test func aDateColumnTakesBasicFormatButNotEpochSeconds() {
        #expect(Value.text("20211013").coerced(to: .date) == .date(18913))
        #expect(Value.text("1634132972").coerced(to: .date) == nil)
    }

    /// A date column takes a timestamp only at midnight: a time of day would be dropped, so such a value
    /// goes to a variant column (from text or from a CSV field typed as a timestamp alike).
    @Test func aDateColumnTakesNoTimeOfDay() {
        #expect(Value.text("2021-10-13T00:00:00Z").coerced(to: .date) == .date(18913))
        #expect(Value.timestamp(18913 * 86_400_000_000).coerced(to: .date) == .date(18913))
        #expect(Value.text("2021-10-13T05:00:00Z").coerced(to: .date) == nil)
        #expect(Value.timestamp(18913 * 86_400_000_000 + 1).coerced(to: .date) == nil)
        #expect(Value.timestamp(-1).coerced(to: .date) == nil)
    }

    @Test func aJSONKeyGivenTwiceKeepsItsLastValueInItsFirstPlace() throws {
        #expect(try JSONText.decode(#"{"a":"x","b":1,"a":3}"#) == .object(["a": 3, "b": 1]))
    }

    @Test func exactFloatsKeepTheirTextAndIntegersStayIntegers() throws {
        let text = Array(#"{"a":123456789.123456789,"b":1e-7,"c":5,"d":"t"}"#.utf8)
        let exact = try text.withUnsafeBufferPointer { try JSONText.decode($0, exactFloats: true) }
        #expect(exact == .object(["a": .decimal("123456789.123456789"), "b": .decimal("1e-7"), "c": 5, "d": "t"]))
        let plain = try text.withUnsafeBufferPointer { try JSONText.decode($0) }
        #expect(plain == .object(["a": .double(123456789.123456789), "b": .double(1e-7), "c": 5, "d": "t"]))
        #expect(throws: JSONText.ParseError.self) {
            try Array("[1e400]".utf8).withUnsafeBufferPointer { try JSONText.decode($0, exactFloats: true) }
        }
    }

    @Test(arguments: [
        ("Имя", "ima"), ("Фамилия", "familia"), ("Όνομα", "onoma"), ("名前", "ming_qian"), ("東京", "dong_jing"),
        ("Straße", "stra_e"), ("naïve", "na_ve"), ("Имя 2", "ima_2"), ("€", "x"), ("userId", "user_id"),
    ])
    func keysInOtherScriptsAreTransliteratedAndLatinKeysFollowDlt(key: String, name: String) {
        #expect(Naming.normalizeIdentifier(key) == name)
    }
}
