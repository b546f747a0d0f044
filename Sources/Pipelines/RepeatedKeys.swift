import PipelineCore

/// The merge batch's dedup by primary key (as dlt dedups a merge batch: the last row of a key wins),
/// in memory bounded whatever the batch's size.
///
/// The first normalize pass records each root row's key as a 128-bit hash with the row's ordinal;
/// ``superseded()`` sorts those records (spilling sorted runs to a scratch file past `runLength`) and
/// lists the ordinals of rows whose key comes again later, in ascending order. The second pass reads
/// that list alongside its rows and drops them with their child rows. Keys are compared by hash, as
/// upsert's row ids (an 80-bit ``StableHash`` of the key) already identify rows, here with 128 bits in
/// two differently multiplied lanes; the scratch file holds 24 bytes a row and is gone with the pass.
struct RepeatedKeys {
    struct Entry: Comparable, BitwiseCopyable {
        var high: UInt64
        var low: UInt64
        var ordinal: Int

        static func < (a: Entry, b: Entry) -> Bool {
            (a.high, a.low, a.ordinal) < (b.high, b.low, b.ordinal)
        }
    }

    private var entries: SpillSorter<Entry>
    private let directory: String
    private let runLength: Int

    /// `directory`: where scratch files go (unlinked at once); `runLength`: records held in memory.
    init(directory: String, runLength: Int = 1 << 17) {
        self.directory = directory
        self.runLength = runLength
        entries = SpillSorter(directory: directory, runLength: runLength)
    }

    /// Records the root row `ordinal` of `table` with its key text (key values as the key columns hold them).
    mutating func record(table: String, key: String, ordinal: Int) throws {
        var lanes: (UInt64, UInt64) = (0xcbf2_9ce4_8422_2325, 0x6c62_272e_07bb_0142)
        for b in table.utf8 { Self.mix(b, into: &lanes) }
        Self.mix(0, into: &lanes)  // table names hold no NUL: the pair (table, key) is unambiguous
        for b in key.utf8 { Self.mix(b, into: &lanes) }
        try entries.append(Entry(high: Self.finish(lanes.0), low: Self.finish(lanes.1 ^ lanes.0), ordinal: ordinal))
    }

    /// The ordinals of rows superseded by a later row with the same key, ascending; nil when no key repeats.
    mutating func superseded() throws -> SupersededOrdinals? {
        var sorted = entries.sorted()
        var out = SpillSorter<Int>(directory: directory, runLength: runLength)
        var previous: Entry?
        while let entry = try sorted.next() {
            if let p = previous, p.high == entry.high, p.low == entry.low { try out.append(p.ordinal) }
            previous = entry
        }
        return out.isEmpty ? nil : try SupersededOrdinals(out.sorted())
    }

    /// Two FNV-1a-style lanes with different multipliers (stable across processes, unlike `Hasher`).
    @inline(__always) private static func mix(_ byte: UInt8, into lanes: inout (UInt64, UInt64)) {
        lanes.0 = (lanes.0 ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        lanes.1 = (lanes.1 ^ UInt64(byte)) &* 0xff51_afd7_ed55_8ccd
    }

    /// splitmix64's finalizer: spreads every input bit over the word.
    private static func finish(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// The ordinals of root rows the second normalize pass drops, read in ascending order as rows arrive.
final class SupersededOrdinals {
    private var ordinals: SortedRecords<Int>
    private var head: Int?

    init(_ ordinals: SortedRecords<Int>) throws {
        self.ordinals = ordinals
        head = try self.ordinals.next()
    }

    /// Whether row `ordinal` is superseded; ordinals must be asked in ascending order.
    func contains(_ ordinal: Int) throws -> Bool {
        while let h = head, h < ordinal { head = try ordinals.next() }
        return head == ordinal
    }
}
