import Foundation
import PipelineCore
import Testing

@Suite("values, coercion and row encoding")
struct ValueTests {
    @Test(arguments: [
        (Value.text("12"), DataType.bigint, Value?.some(.bigint(12))),
        (.text("12.5"), .bigint, nil),
        (.double(3.0), .bigint, .bigint(3)),
        (.double(3.5), .bigint, nil),
        (.bigint(5), .text, .text("5")),
        (.bigint(5), .double, .double(5)),
        (.text("yes"), .bool, .bool(true)),
        (.text("maybe"), .bool, nil),
        (.text("2024-01-01T00:00:00Z"), .timestamp, .timestamp(1_704_067_200_000_000)),
        (.text("17+"), .bigint, nil),
        (.text("2024-01-01"), .date, .date(19723)),
        (.text("0x0aff"), .binary, .binary([0x0a, 0xff])),
        (.text("[1,2]"), .json, .array([.bigint(1), .bigint(2)])),
    ])
    func coercesLikeDlt(value: Value, type: DataType, expected: Value?) {
        #expect(value.coerced(to: type) == expected)
    }

    struct Trip: Codable {
        var tripId: Int
        var fare: Double
        var pickupAt: Date
        var note: String?
        var driver: Driver
        var tags: [String]
        struct Driver: Codable { var name: String }
    }

    @Test func encodesCodableStructsWithoutDictionaries() throws {
        let trip = Trip(tripId: 7, fare: 12.5, pickupAt: Date(timeIntervalSince1970: 60), note: nil,
                        driver: .init(name: "Ana"), tags: ["a", "b"])
        let row = try RowEncoder().encode(trip)
        #expect(row.fields.map(\.name) == ["tripId", "fare", "pickupAt", "driver", "tags"])
        #expect(row["tripId"] == .bigint(7))
        #expect(row["pickupAt"] == .timestamp(60_000_000))
        #expect(row["driver"] == .object(["name": "Ana"]))
        #expect(row["tags"] == .array(["a", "b"]))
    }
}

@Suite("SHA-256")
struct SHA256Tests {
    // Expected digests from Python's hashlib.sha256.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (String(repeating: "a", count: 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
        ("é漢😀", "3ea0588400cb4af7b15d0edd7dc2fe1e359a94ab6822abe8c535f4281f330a20"),
    ])
    func matchesKnownDigests(text: String, digest: String) {
        #expect(SHA256.hex(text) == digest)
    }
}

@Suite("row encoder, hand-written Codable")
struct RowEncoderNestingTests {
    /// Uses nested containers the way hand-written `encode(to:)` implementations do.
    struct Order: Encodable {
        enum Keys: String, CodingKey { case id, customer, lines }
        enum CustomerKeys: String, CodingKey { case name, since }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(7, forKey: .id)
            var customer = c.nestedContainer(keyedBy: CustomerKeys.self, forKey: .customer)
            try customer.encode("Ana", forKey: .name)
            try customer.encode(2020, forKey: .since)
            var lines = c.nestedUnkeyedContainer(forKey: .lines)
            try lines.encode("pen")
            var line = lines.nestedContainer(keyedBy: CustomerKeys.self)
            try line.encode("ink", forKey: .name)
        }
    }

    @Test func nestedContainersKeepTheirValues() throws {
        let row = try RowEncoder().encode(Order())
        #expect(row["id"] == .bigint(7))
        #expect(row["customer"] == .object(["name": "Ana", "since": 2020]))
        #expect(row["lines"] == .array(["pen", .object(["name": "ink"])]))
    }
}
