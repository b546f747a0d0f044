import PipelineCore
import Testing

@Suite("ISO 8601 dates and timestamps")
struct TimestampsTests {
    @Test(arguments: [
        ("2024-01-01", Timestamps.Parsed.date(19723)),
        ("1970-01-01T00:00:00Z", .timestamp(0)),
        ("1970-01-01T00:00:00", .timestamp(0)),
        ("1970-01-01 00:00:01.5", .timestamp(1_500_000)),
        ("2024-01-01T01:00:00+01:00", .timestamp(1_704_067_200_000_000)),
        ("2024-01-01T00:00:00.123456789Z", .timestamp(1_704_067_200_123_456)),
        ("1969-12-31T23:59:59Z", .timestamp(-1_000_000)),
        ("2024-02-29", .date(19782)),
    ])
    func parses(text: String, expected: Timestamps.Parsed) {
        #expect(Timestamps.parse(text) == expected)
    }

    @Test(arguments: ["2023-02-29", "2024-13-01", "2024-01-01T25:00:00", "not a date", "2024-01-01T00:00:00 UTC", "20240101"])
    func rejects(text: String) {
        #expect(Timestamps.parse(text) == nil)
    }

    @Test func formatsSortableUTC() {
        #expect(Timestamps.formatTimestamp(0) == "1970-01-01T00:00:00+00:00")
        #expect(Timestamps.formatTimestamp(1_500_000) == "1970-01-01T00:00:01.500000+00:00")
        #expect(Timestamps.formatTimestamp(-1) == "1969-12-31T23:59:59.999999+00:00")
        #expect(Timestamps.formatDate(19723) == "2024-01-01")
        // Text order is time order, fractions included.
        #expect(Timestamps.formatTimestamp(1_000_000) < Timestamps.formatTimestamp(1_500_000))
    }
}
