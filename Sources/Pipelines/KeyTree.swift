#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The key paths met in one table's rows, as a tree, each with its column name and column index once
/// known: the normalizer's per-row memory, so a key seen before costs no name normalization, no key
/// path string and no dictionary lookup.
///
/// Node 0 is the row itself (its children are the top-level keys); node 1 holds the system columns the
/// normalizer adds (`_dlt_id`, ...). A child is looked up first at the position its key had when first
/// met (rows of one resource nearly always repeat their keys in order), then among all children.
struct KeyTree {
    struct Node {
        /// The key at this level, as the source gave it.
        var raw: String
        /// The source key path, keys joined by NUL (the normalizer's ``Normalizer`` owner records use it).
        var key: String
        /// The column name of this path (for an object, the prefix of its fields' names).
        var name: String
        /// The column index in the table, or -1 while the column does not exist (or is not looked up yet).
        var column: Int = -1
        /// The child table's name, for a path holding lists (computed once).
        var childTable: String?
        var children: [Int] = []
        /// ``raw``'s UTF-8 bytes, for the normalizer's direct path (``child(of:at:bytes:)``).
        let rawBytes: [UInt8]
        /// Whether ``rawBytes`` hold no `"`, `\` or control character: JSON text equal to them is this key
        /// with no escape (see ``JSONCursor/readKey(ifEqualTo:)``).
        let isPlain: Bool

        init(raw: String, key: String, name: String) {
            self.raw = raw
            self.key = key
            self.name = name
            rawBytes = Array(raw.utf8)
            isPlain = !rawBytes.contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }
        }
    }

    static let row = 0
    static let system = 1

    private(set) var nodes: [Node] = [Node(raw: "", key: "", name: ""), Node(raw: "", key: "", name: "")]

    /// The child of `parent` for key `raw`, expected at `position` among its children.
    @inline(__always)
    func child(of parent: Int, at position: Int, raw: String) -> Int? {
        nodes.withUnsafeBufferPointer { all in
            all[parent].children.withUnsafeBufferPointer { kids in
                if position < kids.count, all[kids[position]].raw == raw { return kids[position] }
                for k in kids where all[k].raw == raw { return k }
                return nil
            }
        }
    }

    /// The child of `parent` whose key is spelled by exactly these bytes, expected at `position`.
    /// Equal bytes are an equal key; a key equal to a child's only by Unicode canonical equivalence is
    /// not found here (the general path, ``child(of:at:raw:)``, finds it).
    @inline(__always)
    func child(of parent: Int, at position: Int, bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        @inline(__always) func matches(_ node: Node) -> Bool {
            node.rawBytes.count == bytes.count && node.rawBytes.withUnsafeBufferPointer { r in
                bytes.isEmpty || memcmp(r.baseAddress!, bytes.baseAddress!, bytes.count) == 0
            }
        }
        return nodes.withUnsafeBufferPointer { all in
            all[parent].children.withUnsafeBufferPointer { kids in
                if position < kids.count, matches(all[kids[position]]) { return kids[position] }
                for k in kids where matches(all[k]) { return k }
                return nil
            }
        }
    }

    /// The child of `parent` at `position` among its children, if it has that many.
    @inline(__always) func child(of parent: Int, at position: Int) -> Int? {
        let kids = nodes[parent].children
        return position < kids.count ? kids[position] : nil
    }

    /// Adds a child of `parent`; returns its index.
    mutating func add(_ node: Node, to parent: Int) -> Int {
        nodes.append(node)
        nodes[parent].children.append(nodes.count - 1)
        return nodes.count - 1
    }

    @inline(__always) mutating func setColumn(_ column: Int, of n: Int) { nodes[n].column = column }
    @inline(__always) mutating func setChildTable(_ name: String, of n: Int) { nodes[n].childTable = name }
}
