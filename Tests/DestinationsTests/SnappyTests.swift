@testable import Destinations
import Testing

/// Our snappy compressor against a decoder written here from the format description
/// (google/snappy `format_description.txt`); pyarrow and DuckDB reading our snappy Parquet pages is in
/// FilesystemParquetTests.
@Suite("snappy")
struct SnappyTests {
    @Test func everyInputRoundTripsAndRepetitiveInputShrinks() throws {
        var generator = SystemRandomNumberGenerator()
        var inputs: [[UInt8]] = [[], [7], Array(repeating: 0, count: 15), Array(repeating: 0, count: 16),
                                 Array(repeating: 42, count: 200_000)]
        // Text-like pages (a few distinct values, as in a CSV column), random bytes, and mixes across 64 KiB blocks.
        let words = ["CASH", "CREDIT", "2024-01-01T00:00:00Z", "0.5", "JFK", "", "null"].map { Array($0.utf8) }
        for size in [17, 100, 4_096, 65_535, 65_536, 65_537, 300_000] {
            var text: [UInt8] = []
            while text.count < size { text += words.randomElement(using: &generator)! + [10] }
            inputs.append(Array(text.prefix(size)))
            inputs.append((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
            inputs.append((0..<size).map { i in i % 1_000 < 500 ? UInt8(i % 7) : UInt8.random(in: 0...255, using: &generator) })
        }
        for input in inputs {
            let compressed = Snappy.compress(input)
            #expect(compressed.count <= Snappy.maxCompressedLength(input.count))
            #expect(try decode(compressed) == input, "input of \(input.count) bytes")
        }
        #expect(Snappy.compress(Array(repeating: 42, count: 200_000)).count < 10_000)
        let text = inputs.first { $0.count == 4_096 }!  // words: the first of the three 4,096-byte inputs
        #expect(Snappy.compress(text).count < text.count / 2)
    }

    struct Malformed: Error {}

    /// The raw format, decoded strictly: every length and offset must stay inside the buffers.
    func decode(_ data: [UInt8]) throws -> [UInt8] {
        var i = 0
        var length = 0, shift = 0
        while true {
            guard i < data.count, shift < 35 else { throw Malformed() }
            let b = Int(data[i]); i += 1
            length |= (b & 0x7F) << shift; shift += 7
            if b < 0x80 { break }
        }
        var out: [UInt8] = []
        out.reserveCapacity(length)
        func bytes(_ n: Int) throws -> Int {
            guard i + n <= data.count else { throw Malformed() }
            var v = 0
            for k in 0..<n { v |= Int(data[i + k]) << (8 * k) }
            i += n
            return v
        }
        while i < data.count {
            let tag = Int(data[i]); i += 1
            switch tag & 3 {
            case 0:
                var n = tag >> 2
                if n >= 60 { n = try bytes(n - 59) }
                n += 1
                guard i + n <= data.count else { throw Malformed() }
                out += data[i..<i + n]; i += n
            default:
                let (n, offset): (Int, Int) = switch tag & 3 {
                case 1: ((tag >> 2 & 7) + 4, (tag >> 5) << 8 | (try bytes(1)))
                case 2: ((tag >> 2) + 1, try bytes(2))
                default: ((tag >> 2) + 1, try bytes(4))
                }
                guard offset > 0, offset <= out.count else { throw Malformed() }
                for _ in 0..<n { out.append(out[out.count - offset]) }
            }
        }
        guard out.count == length else { throw Malformed() }
        return out
    }
}
