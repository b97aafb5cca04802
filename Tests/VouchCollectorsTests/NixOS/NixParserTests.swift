import Foundation
import Testing
import VouchTestSupport
@testable import VouchCollectors

@Suite("NixParser")
struct NixParserTests {
    static func parse(_ s: String) throws -> String {
        NixPrinter.sexpr(try NixParser.parse(Array(s.utf8), file: "test.nix"))
    }

    @Test("the expression table has at least 100 cases")
    func tableSize() {
        #expect(NixParserCases.expressions.count >= 100)
    }

    @Test("each expression parses to its expected tree", arguments: NixParserCases.expressions)
    func expression(_ source: String, _ expected: String) throws {
        #expect(try Self.parse(source) == expected, "source: \(source)")
    }

    @Test("each broken input fails with a positioned, clear message", arguments: NixParserCases.errors)
    func error(_ source: String, _ fragment: String) {
        do {
            let tree = try NixParser.parse(Array(source.utf8), file: "bad.nix")
            Issue.record("expected an error for \(source), got \(NixPrinter.sexpr(tree))")
        } catch {
            #expect(error.description.hasPrefix("bad.nix:"), "\(error)")
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test("an unterminated string names the line and column where it starts")
    func unterminatedStringPosition() {
        let src = "{\n  a = 1;\n  b = \"open;\n}\n"
        #expect(throws: NixSyntaxError(file: "f.nix", line: 3, column: 7, message: "unterminated string: a '\"' is missing")) {
            try NixParser.parse(Array(src.utf8), file: "f.nix")
        }
    }

    @Test("invalid UTF-8 is refused with its position")
    func invalidUTF8() {
        var bytes = Array("{ a = \"x".utf8)
        bytes += [0xC3, 0x28]
        bytes += Array("\"; }".utf8)
        do {
            _ = try NixParser.parse(bytes, file: "u.nix")
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.line == 1 && error.column == 9)
            #expect(error.message.contains("invalid UTF-8"))
        }
    }

    @Test("deep nesting is refused, not a crash; allowed depth parses on any thread")
    func nesting() throws {
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        #expect(throws: NixSyntaxError.self) { try NixParser.parseOnLargeStack(Array(deep.utf8), file: "deep.nix") }
        let ok = String(repeating: "[", count: 150) + String(repeating: "]", count: 150)
        _ = try NixParser.parseOnLargeStack(Array(ok.utf8), file: "ok.nix")
        let lambdas = String(repeating: "x: ", count: 300) + "x"
        _ = try NixParser.parseOnLargeStack(Array(lambdas.utf8), file: "l.nix")
    }

    @Test("source positions: line and column of nodes")
    func positions() throws {
        let src = "{\n  a.b = 1;\n  c = \"x\";\n}"
        let bytes = Array(src.utf8)
        let e = try NixParser.parse(bytes, file: "p.nix")
        guard case .attrSet(_, let binds) = e.kind, binds.count == 2, case .assign(_, let v) = binds[1].kind else {
            Issue.record("unexpected tree \(NixPrinter.sexpr(e))"); return
        }
        let table = NixLineTable(bytes)
        #expect(table.location(binds[0].start) == (2, 3))
        #expect(table.location(v.start) == (3, 7))
        #expect(table.location(e.end - 1) == (4, 1))
    }

    @Test("a large generated input parses with bounded work")
    func largeInput() throws {
        var s = "{\n"
        for i in 0..<20_000 { s += "  a\(i).b = \"v\(i)\" + toString \(i);\n" }
        s += "}\n"
        let e = try NixParser.parse(Array(s.utf8), file: "big.nix")
        guard case .attrSet(_, let binds) = e.kind else { Issue.record("not a set"); return }
        #expect(binds.count == 20_000)
    }

    @Test("every .nix file of the shared corpora parses")
    func corpus() throws {
        guard let shared = NixShared.directory else {
            TestSupport.skip("../shared is absent (not in a user's clone)")
            return
        }
        var count = 0
        for dir in ["corpora/nixos", "corpora/formats-samples/nixos"] {
            let root = shared.appendingPathComponent(dir)
            guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where url.pathExtension == "nix" {
                let data = try Data(contentsOf: url)
                do {
                    _ = try NixParser.parseOnLargeStack([UInt8](data), file: url.lastPathComponent)
                    count += 1
                } catch {
                    Issue.record("\(error)")
                }
            }
        }
        #expect(count >= 20)
    }
}
