import SluiceTesting
import Foundation
import PipelineCore
import Testing

@Suite("JSON scanner")
struct JSONTextTests {
    /// A number into a double column goes as its digits when they are the double's shortest text (the
    /// normalized package's `scaledDouble`, which the JSON Lines writer copies). Over numbers of every
    /// shape: whenever the digits are given, they make the same double the parser reads (bit for bit) and
    /// the text Swift's `description` writes for it, and the whole number was read; otherwise nothing was.
    /// The direct path reads integers inline (``JSONCursor/readNumber()``'s plain-integer step): every number
    /// text, followed by what may follow it, reads as the general parse reads it, to the same byte; and
    /// what the general parse refuses, readNumber refuses too. Checked to fail with the step's 17-digit
    /// bound at 18 (an overflow) and with `.` not ending it.
    @Test func integersReadInlineAsTheGeneralParseReadsThem() throws {
        var random = SplitMix64(seed: 29)
        let tails = ["", ",", "}", "]", " ", ".5", ".", "e3", "E-1", "e", "x", "-", "\n"]
        var texts = ["0", "-0", "00", "-00", "01", "-", "--1", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                     "-9223372036854775809", "999999999999999999", "1000000000000000000", "123456789012345678901"]
        for _ in 0..<30_000 {
            var text = random.next(3) == 0 ? "-" : ""
            text += random.next(6) == 0 ? "0" : String(1 + random.next(9))
            text += (0..<random.next(21)).map { _ in String(random.next(10)) }.joined()
            texts.append(text + tails[random.next(tails.count)])
        }
        var plain = 0
        for text in texts {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBufferPointer { p in
                var fast = JSONCursor(p), general = JSONCursor(p)
                let read = Result { () throws(JSONText.ParseError) in try fast.readNumber() }
                let expected = Result { () throws(JSONText.ParseError) in try general.readScalar() }
                switch (read, expected) {
                case (.success(.bigint(let i)?), .success(.bigint(let j))):
                    plain += 1
                    #expect(i == j && fast.position == general.position, "\(text)")
                case (.success(.double(let d)?), .success(.double(let e))):
                    #expect(d.bitPattern == e.bitPattern && fast.position == general.position, "\(text)")
                case (.success(nil), .success(let value)):
                    #expect(fast.position == 0, "\(text)")
                    if case .decimal = value {} else { Issue.record("\(text): readNumber gave nothing, the parse \(value)") }
                case (.failure, .failure): break
                default: Issue.record("\(text): readNumber \(read), the parse \(expected)")
                }
            }
        }
        #expect(plain > 10_000)
    }

    @Test func shortDecimalsGiveTheDoubleAndItsShortestText() throws {
        var random = SplitMix64(seed: 17)
        var texts = ["0.0", "-0.0", "1.50", "0.001", "0.0010", "0.0009", "0.000999", "123456789012345.0", "123456789012345.5",
                     "1234567890123456.0", "99999999999999.99", "1.1234567", "1.123456", "1.5e2", "1.5E2", "01.5", "1.", "-.5",
                     "-", "7", "-7", "0", "63.71", "-51.58", "0.1", "0.30000000000000004", "1e-3", "18446744073709551615.5",
                     "0.000000000000000000001", "1.000000000000000000000000000000"]
        for _ in 0..<50_000 {
            var text = random.next(4) == 0 ? "-" : ""
            text += random.next(3) == 0 ? "0" : String(1 + random.next(9)) + (0..<random.next(17)).map { _ in String(random.next(10)) }.joined()
            if random.next(8) > 0 {
                text += "." + (0..<(1 + random.next(9))).map { _ in String(random.next(10)) }.joined() + String(repeating: "0", count: random.next(3))
            }
            if random.next(10) == 0 { text += "e" + String(random.next(5)) }
            texts.append(text)
        }
        var scaled = 0
        for text in texts {
            let bytes = Array(text.utf8)
            try bytes.withUnsafeBufferPointer { p in
                var cursor = JSONCursor(p)
                guard let (m, k, negative) = cursor.readScaledDecimal() else {
                    #expect(cursor.position == 0, "\(text)")
                    return
                }
                scaled += 1
                let atEnd = cursor.isAtEnd()
                #expect(atEnd, "\(text)")
                guard case .double(let d) = try JSONText.decode(p) else {
                    Issue.record("\(text) is not a double")
                    return
                }
                let digits = String(m)
                let padded = String(repeating: "0", count: max(0, k + 1 - digits.count)) + digits
                let written = (negative ? "-" : "") + (k == 0 ? padded + ".0" : padded.dropLast(k) + "." + padded.suffix(k))
                #expect(written == d.description, "\(text)")
                let value = Double(m) / JSONText.powerOfTen(k)
                #expect((negative ? -value : value).bitPattern == d.bitPattern, "\(text)")
            }
        }
        #expect(scaled > 10_000)
        #expect(scaled < texts.count - 10_000)
    }

    /// Converts Foundation's parse into a Value for comparison (numbers by their text, so exactness shows).
    func foundationValue(_ any: Any) -> Value {
        switch any {
        case is NSNull: return .null
        case let d as [String: Any]: return .object(Row(d.keys.sorted().map { Row.Field($0, foundationValue(d[$0]!)) }))
        case let a as [Any]: return .array(a.map(foundationValue))
        case let s as String: return .text(s)
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return .bool(n.boolValue) }  // how corelibs boxes JSON booleans
            return .double(n.doubleValue)
        default: return .null
        }
    }

    /// Our value with object keys sorted and numbers as doubles, to compare with Foundation's.
    func canonical(_ v: Value) -> Value {
        switch v {
        case .object(let r):
            // Duplicate keys: the last one wins, as in dlt (orjson) and in our normalizer.
            var last: [String: Value] = [:]
            for f in r.fields { last[f.name] = canonical(f.value) }
            return .object(Row(last.keys.sorted().map { Row.Field($0, last[$0]!) }))
        case .array(let a): return .array(a.map(canonical))
        case .bigint(let i): return .double(Double(i))
        case .decimal(let s): return .double(Double(s)!)
        default: return v
        }
    }

    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
        #"["\u00e9\ud83d\ude00", "tab\there", "quote\"back\\slash\/"]"#,
        #"[1e3, -2.5E-3, 0.1, 123456789.125, -0]"#,
        #"{"emoji":"😀","cjk":"漢字","nul":"\u0000"}"#,
        #"[[[[[[[[[[{"deep":[[[]]]}]]]]]]]]]]"#,
        "  {\"spaced\" :\n [ 1 , 2 ]\t}  ",
    ])
    func agreesWithFoundation(text: String) throws {
        let ours = try JSONText.decode(text)
        let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        #expect(canonical(ours) == canonical(foundationValue(theirs)))
    }

    @Test func integersStayExact() throws {
        #expect(try JSONText.decode("9007199254740993") == .bigint(9_007_199_254_740_993))  // 2^53 + 1
        #expect(try JSONText.decode("-9223372036854775808") == .bigint(Int64.min))
        #expect(try JSONText.decode("18446744073709551616") == .decimal("18446744073709551616"))
        #expect(try JSONText.decode("1.5") == .double(1.5))
    }

    @Test(arguments: [
        ("{\"a\":1,}", "expected a string key"), ("[1 2]", "expected ',' or ']'"), ("\"\\ud800\"", "unpaired surrogate"),
        ("01", "unexpected data"), ("[1.]", "digits must follow"), ("\"a\u{01}\"", "control character"),
        ("nul", "invalid literal"), ("{\"a\" 1}", "expected ':'"), ("NaN", "unexpected character"),
    ])
    func rejectsWithReason(text: String, reason: String) {
        #expect {
            _ = try JSONText.decode(text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    /// An error names the character as it is (decoded, with its code point), a control character by its
    /// code point, a byte that is not UTF-8 as a byte; an invalid escape is placed at its backslash.
    @Test(arguments: [
        ([0x7B, 0x22, 0x61, 0x22, 0x3A, 0xC3, 0xA9, 0x7D], "unexpected character 'é' (U+00E9) at byte 6"),
        ([0x7B, 0x22, 0x61, 0x22, 0x3A, 0xF0, 0x9F, 0x98, 0x80, 0x7D], "unexpected character '😀' (U+1F600) at byte 6"),
        ([0xC2, 0xA0, 0x7B, 0x7D], "unexpected character '\u{A0}' (U+00A0) at byte 1"),
        ([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x1B, 0x7D], "unexpected control character U+001B at byte 6"),
        ([0xFF, 0xFE, 0x7B, 0x00], "unexpected byte 0xFF (not UTF-8: UTF-16 text starts with 0xFF 0xFE or 0xFE 0xFF) at byte 1"),
        ([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x80, 0x7D], "unexpected byte 0x80 (not UTF-8) at byte 6"),
        ([0x7B, 0x22, 0x61, 0x22, 0x3A, 0xFF, 0x7D], "unexpected byte 0xFF (not UTF-8) at byte 6"),
        (Array(#"{"s":"\q"}"#.utf8), "invalid escape '\\q' at byte 7"),
        ([0x5B, 0x22, 0x5C, 0xC3, 0xA9, 0x22, 0x5D], "invalid escape: a backslash before character 'é' (U+00E9) at byte 3"),
        // inside a string: unescaped, with its code point (before and after an escape)
        ([0x5B, 0x22, 0x61, 0x01, 0x62, 0x22, 0x5D], "unescaped control character U+0001 in a string at byte 4"),
        ([0x5B, 0x22, 0x5C, 0x6E, 0x1B, 0x22, 0x5D], "unescaped control character U+001B in a string at byte 5"),
    ] as [([UInt8], String)])
    func errorsNameTheCharacterAsItIs(bytes: [UInt8], message: String) {
        #expect {
            _ = try JSONText.decode(bytes)
        } throws: { error in
            "\(error)" == message
        }
        #expect {
            try bytes.withUnsafeBufferPointer { try JSONText.validate($0) }
        } throws: { error in
            "\(error)" == message
        }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONText.ParseError.self) { try JSONText.decode(bytes) }
    }

    /// The error names the byte that is wrong, not the start of its string (a long text would hide it),
    /// in values, in keys, in strings with escapes, and by the check that builds nothing.
    @Test(arguments: [
        (Array(#"{"a": "abcdefgh"#.utf8) + [0xFF] + Array(#""}"#.utf8), 15),          // after eight ASCII bytes (the word-at-a-time scan)
        (Array(#"{"a": "é ok "#.utf8) + [0xC0, 0x80] + Array(#""}"#.utf8), 13),        // an overlong sequence after a valid one
        (Array(#"{"a": "x\n y"#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), 12), // a surrogate, after an escape
        (Array(#"{"ke"#.utf8) + [0x80] + Array(#"y": 1}"#.utf8), 4),                  // in a key
    ] as [([UInt8], Int)])
    func invalidUTF8IsReportedAtItsByte(bytes: [UInt8], offset: Int) throws {
        for check in [{ _ = try JSONText.decode(bytes) }, { try bytes.withUnsafeBufferPointer { try JSONText.validate($0) } }] {
            do {
                try check()
                Issue.record("accepted \(bytes)")
            } catch let error as JSONText.ParseError {
                #expect(error.reason.hasPrefix("invalid UTF-8 in a string (0x") && error.offset == offset, "\(error)")
            }
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONText.ParseError.self) { try JSONText.decode(text) }
    }

    @Test func encodeRoundTrips() throws {
        let v: Value = .object(["s": "a\"b\n", "n": .bigint(-3), "d": 2.5, "l": .array([.null, true])])
        #expect(try JSONText.decode(JSONText.encode(v)) == v)
    }

    @Test func fuzzedInputsNeverCrash() {
        var rng = SplitMix64(seed: 42)
        let seeds = [#"{"a":[1,2,{"b":"c\u00e9"}],"d":-1.5e3,"e":null}"#, #"[true,false,"x\\y",[[]],{}]"#]
        var parsed = 0
        for _ in 0..<20_000 {
            var bytes = Array(seeds[Int(rng.next() % 2)].utf8)
            for _ in 0..<(1 + rng.next() % 4) {
                let i = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.remove(at: i)
                default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            if let v = try? JSONText.decode(bytes) {
                parsed += 1
                // Whatever parses must agree with Foundation.
                if let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) {
                    #expect(canonical(v) == canonical(foundationValue(theirs)))
                }
            }
        }
        #expect(parsed > 0)
    }

    /// Decodes `bytes` with `keys`, as a value or the error's text.
    func outcome(_ bytes: [UInt8], keys: JSONKeyTable?) -> String {
        do {
            return "\(try bytes.withUnsafeBufferPointer { p throws(JSONText.ParseError) in try JSONText.decode(p, keys: keys) })"
        } catch {
            return "error: \(error)"
        }
    }

    /// A reader's shared key table (keys decoded once across rows) gives every row the value, or the
    /// error, that decoding it alone gives: duplicates (spelled with escapes too), keys in another order,
    /// invalid UTF-8 in a key, and more distinct keys than the table holds.
    @Test func sharedKeyTableChangesNoValue() {
        let keys = JSONKeyTable()
        var docs = [
            #"{"a":1,"b":{"a":2,"c":[{"a":3,"a":4}]},"a":5}"#, #"{"b":{"c":[]},"a":1}"#, #"{"a":1,"\u0061":2,"b":3}"#,
            #"{"\u0062":1,"b":2}"#, #"{"a":{"a":{"a":1}},"a":2}"#, #"{"é":1,"e\u0301":2,"é":3}"#, #"{"a":1,"b\"":2}"#,
            #"{"x":[{"y":1,"z":2},{"z":3,"y":4,"y":5}]}"#, #"{"a":"\ud800"}"#, #"{"a\ud800":1}"#,
        ].map { Array($0.utf8) }
        docs.append([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D])  // {"\xC3(":1}: invalid UTF-8 in a key
        docs.append(Array(("{" + (0..<(JSONKeyTable.maxKeys + 50)).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + #","k3":0}"#).utf8))
        docs.append(Array(#"{"k1":1,"k1":2,"fresh":3,"fresh":4}"#.utf8))  // after the table filled up
        docs.append(Array(("{\"" + String(repeating: "long", count: 40) + "\":1,\"" + String(repeating: "long", count: 40) + "\":2}").utf8))
        for _ in 0..<2 {
            for doc in docs { #expect(outcome(doc, keys: keys) == outcome(doc, keys: nil), "\(String(decoding: doc.prefix(80), as: UTF8.self))") }
        }
        var rng = SplitMix64(seed: 11)
        let seed = Array(#"{"id":1,"user":{"id":2,"login":"x"},"labels":[{"id":3,"name":"a"},{"name":"b","id":4}]}"#.utf8)
        for _ in 0..<5_000 {
            var bytes = seed
            let i = Int(rng.next() % UInt64(bytes.count))
            bytes[i] = [UInt8(ascii: "a"), UInt8(ascii: "\""), 0xC3, UInt8(ascii: "i")][Int(rng.next() % 4)]
            #expect(outcome(bytes, keys: keys) == outcome(bytes, keys: nil))
        }
    }
}


@Suite("UTF-8 validation")
struct UTF8TextTests {
    @Test func agreesWithTheStandardLibraryOnRandomBytes() {
        var rng = SplitMix64(seed: 7)
        let samples: [[UInt8]] = [Array("plain ascii text".utf8), Array("é漢😀".utf8), [0xED, 0xA0, 0x80], [0xC0, 0x80],
                                  [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xF0, 0x9F, 0x98]]
        for s in samples {
            #expect(s.withUnsafeBufferPointer { UTF8Text.isValid($0) } == (String(validating: s, as: UTF8.self) != nil), "\(s)")
        }
        for _ in 0..<50_000 {
            let n = Int(rng.next() % 12)
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next() % 3 == 0 ? rng.next() : rng.next() % 128 + (rng.next() % 2 == 0 ? 0 : 0x80)) }
            let ours = bytes.withUnsafeBufferPointer { UTF8Text.isValid($0) }
            #expect(ours == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }
}

@Suite("JSON numbers")
struct JSONNumberTests {
    /// The fast path must round exactly as strtod does.
    @Test func doublesMatchStrtod() throws {
        var rng = SplitMix64(seed: 11)
        var cases = ["0.1", "-0.0", "1e22", "1e23", "9007199254740993.0", "123456789012345678.5", "4.9e-324",
                     "1.7976931348623157e308", "0.000001", "2.2250738585072014e-308", "12.35", "100.0", "3.14159265358979323846"]
        for _ in 0..<20_000 {
            let digits = String(rng.next() % 10_000_000_000_000)
            let point = Int(rng.next() % UInt64(digits.count + 1))
            var text = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            if text.hasPrefix(".") { text = "0" + text }
            if text.hasSuffix(".") { text += "0" }
            if rng.next() % 4 == 0 { text += "e" + String(Int(rng.next() % 50) - 25) }
            cases.append(rng.next() % 2 == 0 ? "-" + text : text)
        }
        for text in cases {
            guard case .double(let ours) = try JSONText.decode(text) else { Issue.record("\(text) is not a double"); continue }
            let theirs = text.withCString { strtod($0, nil) }
            #expect(ours.bitPattern == theirs.bitPattern, "\(text)")
        }
    }

    /// The direct path steps over nested values by their strings and brackets (`JSONCursor.skipNested()`):
    /// on valid JSON it ends where the checking skip ends, whatever the strings hold.
    @Test func skippingNestedValuesEndsWhereTheCheckingSkipEnds() throws {
        var random = SplitMix64(seed: 11)
        let pieces = ["\\\"", "\\\\", "{", "}", "[", "]", ",", ":", "é", "\\u005d", " ", "x", "\\n"]
        func string() -> String { "\"" + (0..<random.next(6)).map { _ in pieces[random.next(pieces.count)] }.joined() + "\"" }
        func value(_ depth: Int) -> String {
            switch depth > 3 ? random.next(3) : random.next(5) {
            case 0: return string()
            case 1: return String(random.next(1000)) + (random.next(2) == 0 ? ".5" : "")
            case 2: return ["true", "false", "null"][random.next(3)]
            case 3: return "{" + (0..<random.next(4)).map { _ in string() + ": " + value(depth + 1) }.joined(separator: ", ") + "}"
            default: return "[" + (0..<random.next(4)).map { _ in value(depth + 1) }.joined(separator: ",") + "]"
            }
        }
        for _ in 0..<3_000 {
            let nested = random.next(2) == 0 ? "{" + string() + ":" + value(1) + "}" : "[" + value(1) + "," + value(1) + "]"
            let text = Array((nested + " ,\"after\": 1").utf8)
            try text.withUnsafeBufferPointer { p in
                var checking = JSONCursor(p), structural = JSONCursor(p)
                try checking.skipValue(depth: 1)
                try structural.skipNested()
                #expect(structural.position == checking.position, "\(nested)")
                #expect(checking.position == nested.utf8.count)
            }
            // Cut short, it throws rather than reading past the end.
            let cut = Array(nested.utf8.dropLast())
            cut.withUnsafeBufferPointer { p in
                var cursor = JSONCursor(p)
                #expect(throws: JSONText.ParseError.self) { try cursor.skipNested() }
            }
        }
    }
}
