import PipelineCore
import SluiceTesting
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

    /// Years outside 0000-9999 (from an offset, or epoch seconds) keep every digit and their sign: they
    /// were written as four digits, so year 10000 read 0000 and year -1 was not a date at all.
    @Test func yearsOutsideFourDigitsKeepTheirDigitsAndSign() {
        func micros(_ y: Int, _ m: Int, _ d: Int, seconds: Int64 = 0) -> Int64 {
            Int64(Timestamps.days(year: y, month: m, day: d)) * 86_400_000_000 + seconds * 1_000_000
        }
        #expect(Timestamps.formatTimestamp(micros(10000, 1, 1, seconds: 3599)) == "10000-01-01T00:59:59+00:00")
        #expect(Timestamps.formatTimestamp(micros(0, 1, 1)) == "0000-01-01T00:00:00+00:00")
        #expect(Timestamps.formatTimestamp(micros(-1, 12, 31, seconds: 82_800)) == "-0001-12-31T23:00:00+00:00")
        #expect(Timestamps.formatTimestamp(.max) == "294247-01-10T04:00:54.775807+00:00")
        #expect(Timestamps.formatTimestamp(.min).hasPrefix("-290308-12-21T19:59:05.224192"))
        #expect(Timestamps.formatDate(Int32(Timestamps.days(year: 10000, month: 1, day: 1))) == "10000-01-01")
        #expect(Timestamps.formatDate(Int32(Timestamps.days(year: -1, month: 12, day: 31))) == "-0001-12-31")
        // Text read as a timestamp past 9999 (an offset carries it over) is written as the same instant.
        #expect(Timestamps.parse("9999-12-31T23:59:59-01:00") == .timestamp(micros(10000, 1, 1, seconds: 3599)))
    }

    /// The writer that keeps the last day's date writes what `formatTimestamp` writes, for runs of values
    /// on one day, jumps between days (either way, across 1970 and year 0), and the extremes.
    @Test func theWriterKeepingTheLastDateWritesTheSameText() {
        var random = SplitMix64(seed: 11)
        let writer = TimestampWriter()
        var values: [Int64] = [.max, .min, 0, -1, .max, 86_400_000_000 - 1, 86_400_000_000, -86_400_000_000, -86_400_000_001]
        for _ in 0..<20_000 {
            switch random.next(4) {
            case 0: values.append(values.last! + Int64(random.next(3_600_000_000)))  // later the same day, mostly
            case 1: values.append(Int64(random.next(4_000_000_000_000_000)) - 2_000_000_000_000_000)
            case 2: values.append(Int64(bitPattern: random.next()))
            default: values.append(values.last! - Int64(random.next(1_000_000)))
            }
        }
        var hits = 0
        var lastDay = Int64.min
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Timestamps.maxTextLength) { p in
            for v in values {
                let n = writer.write(v, into: p.baseAddress!)
                #expect(String(decoding: UnsafeBufferPointer(rebasing: p[0..<n]), as: UTF8.self) == Timestamps.formatTimestamp(v), "\(v)")
                let day = Int64((Double(v) / 86_400_000_000).rounded(.down))
                if day == lastDay { hits += 1 }
                lastDay = day
            }
        }
        #expect(hits > 5_000)  // the runs on one day were there to be kept
    }
}
