import Foundation
import PipelineCore
import SluiceTesting
import Testing

@Suite("normalized row frames")
struct FlatRowTests {
    static let bigints: [Int64] = [0, -1, 1, 63, -64, 64, -65, 127, 128, 300, -300, 1 << 31, -(1 << 31), 1 << 62, -(1 << 62),
                                   Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]

    /// Bigints are zigzag varints in normalized files (``PackageFile/Tag/smallBigint``): every one of 64 bits
    /// reads back as written, from the direct path's builder and the general path's writer alike (the same
    /// bytes), and a small one takes one byte where eight were written before.
    @Test func everyBigintReadsBackAndSmallOnesAreSmall() throws {
        let dir = try TemporaryDirectory.make("flat-rows")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try PackageFileWriter(path: dir + "/rows")
        var builder = FlatRowBuilder()
        for (column, value) in Self.bigints.enumerated() { builder.append(column: column, bigint: value) }
        try writer.writeFlatRow(builder)
        try writer.writeFlatRow(Self.bigints.enumerated().map { ($0.offset, Value.bigint($0.element)) })
        builder.removeAll()
        builder.append(column: 5, bigint: -3)
        try writer.writeFlatRow(builder)
        try writer.sync()

        let reader = try PackageFileReader(path: dir + "/rows")
        var frames: [[UInt8]] = []
        var frame: [UInt8] = []
        while try reader.readFrame(appendingTo: &frame) != nil {
            frames.append(frame)
            frame.removeAll()
        }
        #expect(frames.count == 3)
        #expect(frames[0] == frames[1], "the builder and the writer of rows of values write the same frame")
        for bytes in frames.prefix(2) {
            var read: [(Int, Int64)] = []
            bytes.withUnsafeBufferPointer { p in
                var cursor = FlatRowCursor(p)
                while let (column, value) = cursor.next() {
                    guard case .bigint(let i) = value else { Issue.record("column \(column): \(value)"); return }
                    read.append((column, i))
                }
            }
            #expect(read.map(\.0) == Array(Self.bigints.indices))
            #expect(read.map(\.1) == Self.bigints)
        }
        // Field count, column, tag, one byte of value.
        #expect(frames[2].count == 4)
    }

    /// A value the reader cannot read (a tag of another version's package, a value cut short) ends the row
    /// with an error, not with the row's later values silently missing: an older sluice reading a newer
    /// package loaded rows as `{}` before ``FlatRowCursor/checkEnd()``.
    @Test(arguments: [[2, 0, 14, 4, 1, 0x7F, 9], [2, 0, 14, 4, 1, 13, 0x80 | 5]] as [[UInt8]])
    func aValueItCannotReadIsAnError(frame: [UInt8]) throws {
        try frame.withUnsafeBufferPointer { p in
            var cursor = FlatRowCursor(p)
            var values: [FieldPayload] = []
            while let (_, value) = cursor.next() { values.append(value) }
            #expect(values.count == 1)
            if case .bigint(2)? = values.first {} else { Issue.record("\(values)") }
            let error = #expect(throws: SluiceError.self) { try cursor.checkEnd() }
            #expect(error?.message.contains("written by another version") == true)
        }
        // The row whole: no error.
        try [UInt8]([1, 0, 14, 4]).withUnsafeBufferPointer { p in
            var whole = FlatRowCursor(p)
            var count = 0
            while whole.next() != nil { count += 1 }
            #expect(count == 1)
            try whole.checkEnd()
        }
    }
}
