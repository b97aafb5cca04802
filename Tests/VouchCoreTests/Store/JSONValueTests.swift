import Foundation
import Testing
@testable import VouchCore

@Suite struct JSONValueTests {
    @Test func canonicalTextSortsKeysAndEscapesMarkup() throws {
        let v: JSONValue = ["b": 1, "a": ["x": "<script>&"], "c": [true, nil, 2.5]]
        #expect(v.canonicalText == #"{"a":{"x":"\u003cscript\u003e\u0026"},"b":1,"c":[true,null,2.5]}"#)
    }

    @Test func parserKeepsIntegersBooleansAndBigNumbersExact() throws {
        let v = try JSONValue.parse(#"{"i": 9007199254740993, "b": true, "f": false, "d": 1.5, "big": 123456789012345678901234567890}"#)
        #expect(v["i"] == .int(9_007_199_254_740_993))
        #expect(v["b"] == .bool(true))
        #expect(v["f"] == .bool(false))
        #expect(v["d"] == .double(1.5))
        #expect(v["big"] == .string("123456789012345678901234567890"))
    }

    @Test(arguments: [
        (#"{"a": 1,}"#, 1, 9), ("[1, 2", 1, 6), ("{\n  \"a\": tru\n}", 2, 8), (#""abc"#, 1, 5), ("1 2", 1, 3),
    ])
    func parserNamesLineAndColumn(text: String, line: Int, column: Int) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
        do { _ = try JSONValue.parse(text) } catch let e as JSONSyntaxError {
            #expect(e.line == line, "\(text): \(e)")
            #expect(e.column == column, "\(text): \(e)")
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func parserDecodesEscapesAndSurrogates() throws {
        let v = try JSONValue.parse(#"["\u00e9\ud83d\ude00\n\"", "\ud800x"]"#)
        #expect(v.arrayValue?[0] == .string("é😀\n\""))
        #expect(v.arrayValue?[1] == .string("\u{FFFD}x"))
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let text = String(repeating: "[", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
    }

    /// The escaper works on UTF-8 bytes; it must write what escaping scalar by scalar writes.
    @Test func stringEscapingMatchesAScalarByScalarReference() throws {
        func reference(_ s: String) -> String {
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "<": out += "\\u003c"
                case ">": out += "\\u003e"
                case "&": out += "\\u0026"
                default:
                    if u.value < 0x20 || u.value == 0x7F || u.value == 0x2028 || u.value == 0x2029 {
                        let hex = String(u.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(u)
                    }
                }
            }
            return out + "\""
        }
        let pieces: [String] = ["a", "<", ">", "&", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "\u{2028}",
                                "\u{2029}", "\u{2027}", "\u{20AC}", "é", "😀", "\u{E000}", " ", "x@example.com"]
        var generator = SystemRandomNumberGenerator()
        var samples = pieces + ["alice <alice@example.com>", ""]
        for _ in 0..<2000 {
            samples.append((0..<Int.random(in: 1...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for s in samples {
            var out = ""
            JSONValue.writeString(s, into: &out)
            #expect(out == reference(s), "\(Array(s.unicodeScalars))")
            #expect(try JSONValue.parse(out) == .string(s))
        }
    }

    @Test func roundTripThroughCanonicalText() throws {
        let v: JSONValue = ["k": ["nested": [1, 2, ["z": "\u{1}ctl"]]], "s": "é"]
        #expect(try JSONValue.parse(v.canonicalText) == v)
    }
}

@Suite struct SafeTextTests {
    @Test func plainNamesStayAsTheyAre() {
        #expect(SafeText.from(bytes: Array("talos/cp-1.yaml".utf8)) == "talos/cp-1.yaml")
        #expect(SafeText.isPlain(Array("é.conf".utf8)))
    }

    @Test func invalidUTF8AndControlsAreEscapedLosslessly() {
        #expect(SafeText.from(bytes: [0x61, 0xFF, 0x62]) == "a\\xFFb")
        #expect(SafeText.from(bytes: [0x61, 0x0A, 0x5C]) == "a\\x0A\\\\")
        #expect(SafeText.from(bytes: [0x61, 0xFF]) != SafeText.from(bytes: [0x61, 0xFE]))
        #expect(!SafeText.isPlain([0xC3]))
    }

    @Test func multiByteTextDELAndOverlongForms() {
        #expect(SafeText.from(bytes: Array("ü\t€ 😀".utf8)) == "ü\\x09€ 😀")
        #expect(SafeText.from(bytes: [0x7F, 0xC0, 0xAF, 0xED, 0xA0, 0x80]) == "\\x7F\\xC0\\xAF\\xED\\xA0\\x80")
        #expect(SafeText.from(bytes: [0x61, 0x00, 0x62]) == "a\\x00b")
    }

    @Test func byteSearchFindsFirstAndLast() {
        #expect(SafeText.contains("abc PRIVATE KEY----- x", "PRIVATE KEY-----"))
        #expect(!SafeText.contains("abc", "abcd") && SafeText.contains("abc", ""))
        #expect(SafeText.byteRange(of: "ab", in: "xxabyyab") == 2..<4)
        #expect(SafeText.byteRange(of: "ab", in: "xxabyyab", last: true) == 6..<8)
        #expect(SafeText.byteRange(of: "é!", in: "aé!b") == 1..<4)
        #expect(SafeText.byteRange(of: "zz", in: "xxabyyab", last: true) == nil)
    }
}

@Suite struct RedactorTests {
    @Test func fingerprintIsSHA256AndScrubRemovesKnownSecrets() {
        let r = Redactor()
        let fp = r.fingerprint("hunter2-token-value")
        #expect(fp == "sha256:" + Hashing.sha256Hex("hunter2-token-value"))
        let scrubbed = r.scrub("failed to auth with hunter2-token-value at host")
        #expect(!scrubbed.contains("hunter2"))
        #expect(scrubbed.contains(fp))
    }

    @Test func pemPrivateKeysAreReplacedEvenUnregistered() {
        let text = "a: 1\nkey: |\n  -----BEGIN EC PRIVATE KEY-----\n  MHcCAQEEIB\n  -----END EC PRIVATE KEY-----\ncert: -----BEGIN CERTIFICATE-----x-----END CERTIFICATE-----\n"
        let out = Redactor.scrubPEMPrivateKeys(text)
        #expect(!out.contains("MHcCAQEEIB"))
        #expect(out.contains("sha256:"))
        #expect(out.contains("BEGIN CERTIFICATE"))
        let unterminated = Redactor.scrubPEMPrivateKeys("x -----BEGIN RSA PRIVATE KEY-----\nMIIsecret")
        #expect(!unterminated.contains("MIIsecret"))
    }

    @Test func base64WrappedKeysAreRecognised() {
        let pem = "-----BEGIN ED25519 PRIVATE KEY-----\nabc\n-----END ED25519 PRIVATE KEY-----\n"
        #expect(Redactor.looksLikePrivateKey(Data(pem.utf8).base64EncodedString()))
        #expect(!Redactor.looksLikePrivateKey("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"))
    }
}
