import Foundation
import Testing
@testable import VouchCollectors
import VouchCore

/// The byte-level text helpers must answer exactly as the Character-level code they replace.
@Suite struct TalosTextTests {
    static let samples: [String] = [
        "", "\n", "\n\n", "a", "a\n", "a\nb", "a\r\nb\r\n", "a\rb\n", "\r", "\r\n", "x\r", "\r\r\n\n",
        "---\na: 1\n---\nb: 2\n", "a: 1\r\n---\r\nb: 2\r\n", "--- \u{301}\na: 1\n", "---\u{301}\na: 1\n",
        "# c\u{301}\n---\n#\u{301}\n", " \u{301}#\n", "...\na: 1\n...\u{301}\n--- # c\nb: 2\n", "--- a: 1\n\tb\n",
        "\u{FEFF}a: 1\n", "é\nü\n\n", "%YAML 1.2\n---\na: b\n", "a: 1\n...\n...\n---\n---\n", "  \t\n#x\n%y\nz: 1",
        "version: v1alpha1\nmachine:\n  type: worker\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nhostname: w\n",
        "--- |\n  text\n", "---\t\nk: v\n", "----\nk: v\n", "-- -\nk: v\n", "key: [1, 2\n", "\u{301}---\n",
    ]

    @Test func splitMatchesCharacterSplit() {
        for s in Self.samples {
            #expect(TalosLines.split(s).map(String.init) == Self.lines(s).map(String.init), "\(s.debugDescription)")
        }
    }

    /// The lines split at every LF, by Unicode scalars (CR LF splits too; the CR stays on its line).
    static func lines(_ s: String) -> [Substring] {
        s.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(text)
    }

    static func text<S: Sequence>(_ scalars: S) -> Substring where S.Element == Unicode.Scalar {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: scalars)
        return Substring(String(v))
    }

    /// The document splitter as it was, with Character operations throughout (lines split as `lines`).
    static func referenceDocuments(_ text: String, display: String) -> [Result<YAMLDocument, TalosInputError>] {
        var out: [Result<YAMLDocument, TalosInputError>] = []
        var chunk: [Substring] = []
        var chunkStart = 1
        var lineNo = 0
        func blank(_ s: Substring) -> Bool {
            let t = s.drop(while: { $0 == " " || $0 == "\t" })
            return t.isEmpty || t.hasPrefix("#") || t.hasPrefix("%")
        }
        func flush() {
            defer { chunk.removeAll(keepingCapacity: true) }
            guard chunk.contains(where: { !blank($0) }) else { return }
            out.append(TalosYAML.parse(chunk.joined(separator: "\n") + "\n", firstLine: chunkStart, display: display))
        }
        for line in Self.lines(text) {
            lineNo += 1
            let l = line.unicodeScalars.last == "\r" ? Self.text(line.unicodeScalars.dropLast()) : line
            if l.hasPrefix("---") && (l.count == 3 || l.dropFirst(3).first == " " || l.dropFirst(3).first == "\t") {
                flush()
                let rest = l.dropFirst(3).drop(while: { $0 == " " || $0 == "\t" })
                chunkStart = lineNo
                if !rest.isEmpty, !rest.hasPrefix("#") { chunk.append(Substring(String(repeating: " ", count: l.count - rest.count)) + rest) }
                else { chunk.append("") }
                continue
            }
            if l == "..." { flush(); chunkStart = lineNo + 1; continue }
            if chunk.isEmpty { chunkStart = lineNo }
            chunk.append(l)
        }
        flush()
        return out
    }

    static func describe(_ r: [Result<YAMLDocument, TalosInputError>]) -> [String] {
        r.map {
            switch $0 {
            case .success(let d): return "ok \(d.firstLine) \(d.text.debugDescription) \(d.root.map { "\($0)" } ?? "nil")"
            case .failure(let e): return "error \(e)"
            }
        }
    }

    @Test func crlfConfigsKeepEveryDocument() throws {
        let text = "version: v1alpha1\r\nmachine:\r\n  type: worker\r\n---\r\napiVersion: v1alpha1\r\nkind: HostnameConfig\r\nhostname: w1\r\n"
        let docs = TalosYAML.documents(text, display: "crlf.yaml")
        #expect(docs.count == 2)
        guard docs.count == 2, case .success(let second) = docs[1] else { return }
        #expect(second.firstLine == 4)
        #expect("\(second.root.map { "\($0)" } ?? "")".contains("HostnameConfig"))
    }

    @Test func documentsMatchTheCharacterSplitter() throws {
        var texts = Self.samples
        let estate = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../fixtures/talos")
        for case let url as URL in FileManager.default.enumerator(at: estate, includingPropertiesForKeys: nil)! where url.pathExtension == "yaml" {
            texts.append(try String(contentsOf: url, encoding: .utf8))
        }
        #expect(texts.count > Self.samples.count)
        for t in texts {
            #expect(Self.describe(TalosYAML.documents(t, display: "f")) == Self.describe(Self.referenceDocuments(t, display: "f")),
                    "\(t.prefix(80).debugDescription)")
        }
    }

    @Test func asciiTrimAndPrivateKeyAnswersMatchFoundation() {
        let b64Key = Data("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n".utf8).base64EncodedString()
        let values = [
            "", " ", "\t\n x \u{0B}\u{0C}", "abc", " abcd ", "a\r\nb", "\r\nabcd\r\n", "é ", " \u{A0}x\u{A0}", "\u{85}ab\u{85}",
            "-----BEGIN RSA PRIVATE KEY-----\nabc", "PRIVATE \u{212A}EY-----" + String(repeating: "A", count: 40), b64Key, b64Key + " ",
            String(repeating: "QUFB", count: 12), String(repeating: "QUFB", count: 12) + "\n", String(repeating: "a-b_", count: 12),
            "https://user:pass@example.com/" + String(repeating: "x", count: 40),
        ]
        for v in values {
            if let t = ASCIIText.trimmedWhitespace(v) {
                #expect(t == v.trimmingCharacters(in: .whitespacesAndNewlines), "\(v.debugDescription)")
                #expect(t.utf8.count == t.count && v.utf8.count == v.count)
            }
            let quick = ASCIIText.privateKeyQuickAnswer(v)
            let full = v.contains("PRIVATE KEY-----") || (v.count >= 40 && v.count % 4 == 0 && !v.contains(" ")
                && (Data(base64Encoded: v).flatMap { String(data: $0, encoding: .utf8) }?.contains("PRIVATE KEY-----") ?? false))
            if let quick { #expect(quick == full, "\(v.debugDescription)") }
            #expect(Redactor.looksLikePrivateKey(v) == full, "\(v.debugDescription)")
        }
        #expect(ASCIIText.trimmedWhitespace("é") == nil && ASCIIText.trimmedWhitespace("a\rb") == nil)
        #expect(Redactor.looksLikePrivateKey(b64Key))
    }
}
