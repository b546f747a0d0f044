@testable import Destinations
import Foundation
import PipelineCore
import SluiceTesting
import Testing

/// Doubles in JSON Lines and CSV files: the text Swift's `description` gives (shortest round trip),
/// written without a `String` for the values most data holds.
@Suite("text forms of values")
struct TextFormsTests {
    func text(_ d: Double, sink: ByteSink) -> String {
        let start = sink.bufferedCount
        TextForms.appendDouble(d, to: sink, nonFinite: "null")
        return String(decoding: UnsafeBufferPointer(rebasing: sink.pending[start...]), as: UTF8.self)
    }

    @Test func doublesAreWrittenAsDescriptionWritesThem() throws {
        let dir = try TemporaryDirectory.make("textforms")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sink = try ByteSink(path: dir + "/x", gzip: false)
        var random = SplitMix64(seed: 5)
        var values: [Double] = [0, -0.0, 0.001, 0.000999, 1e15, 999_999_999_999_999.9, 1e14 + 0.5, 0.1 + 0.2, 63.71, -51.58, 2.5,
                                1.0, 100, 0.30000000000000004, 123_456.123456, 1e-7, 9.007199254740993e15, .nan, .infinity,
                                // halves and values next to them (the rounding of the scaled value)
                                0.5, 1.5, 0.49999999999999994, 0.5000000000000001, 4_503_599_627_370_495.5, 0.0015, 0.0025,
                                1.0000005, 999_999.9999995, 8_999_999_999.999_999,
                                // either side of 2^31, where one step at six decimals stops being exact
                                2_147_483_647.999_999, 2_147_483_648, 2_147_483_648.000_001, 2_147_483_647.5, 0x1p31.nextDown,
                                0x1p31.nextUp, 0.001_000_5, 0.999_999_5, 1e-3.nextDown, 1e-3.nextUp]
        for _ in 0..<20_000 {
            let digits = random.next(7)
            let scale = (0..<digits).reduce(1.0) { a, _ in a * 10 }
            values.append(Double(Int64(random.next(2_000_000_000)) - 1_000_000_000) / scale)
            values.append(Double(bitPattern: random.next()))
            // up to six decimals from 10^-3 to 10^10, and the doubles next to them
            let wide = Double(Int64(random.next(10_000_000_000_000_000))) / 1_000_000 / Double(1 << random.next(24))
            let rounded = (wide * scale).rounded() / scale
            values += [rounded, rounded.nextUp, rounded.nextDown]
        }
        var fast = 0
        for d in values {
            let expected = d.isFinite ? d.description : "null"
            #expect(text(d, sink: sink) == expected, "\(d.bitPattern)")
            if TextForms.scaledInteger(d) != nil { fast += 1 }
        }
        #expect(fast > 20_000)  // the decimals took the path without a String
        try sink.finish()
    }

    /// Strings with quotes, backslashes and every kind of control character at every offset of the
    /// eight-byte scan: escaped, they read back as the same string, and no control byte is left raw.
    @Test func jsonEscapedStringsReadBackAsWritten() throws {
        let dir = try TemporaryDirectory.make("textforms")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sink = try ByteSink(path: dir + "/x", gzip: false)
        let pieces = ["a", "bcdefgh", "é", "😀", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1}", "\u{1F}", "\u{7F}", ",", " ", "/"]
        var random = SplitMix64(seed: 11)
        for _ in 0..<3000 {
            let text = (0..<random.next(24)).map { _ in pieces[random.next(pieces.count)] }.joined()
            let start = sink.bufferedCount
            sink.append(0x22)
            var utf8 = text
            utf8.withUTF8 { TextForms.appendJSONEscaped($0, to: sink) }
            sink.append(0x22)
            let written = Array(sink.pending[start...])
            #expect(!written.contains { $0 < 0x20 }, "\(text.debugDescription)")
            #expect(try JSONText.decode(written) == .text(text), "\(text.debugDescription)")
            if sink.bufferedCount > 1 << 19 { try sink.flush(final: false) }
        }
        try sink.finish()
    }
}
