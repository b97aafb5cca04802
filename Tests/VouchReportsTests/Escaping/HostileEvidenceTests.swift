import Foundation
import GRDB
import Testing
import VouchCore
import VouchReports
import VouchTestSupport

@Suite("Hostile evidence in reports")
struct HostileEvidenceTests {
    /// Creates a file whose name is raw bytes (invalid UTF-8 included).
    static func createFile(in dir: URL, nameBytes: [UInt8], content: String) throws {
        let path = Array(dir.path.utf8) + [0x2F] + nameBytes + [0]
        let fd = path.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: path.count) { open($0, O_CREAT | O_WRONLY | O_TRUNC, 0o644) }
        }
        #expect(fd >= 0)
        _ = content.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
    }

    static let nasty = "<script>alert('x')</script> ]]> \u{01}\u{07}\u{1B}[31m \u{7F}\u{85} & \"q\""

    @Test("<script>, ]]>, control characters and an invalid UTF-8 file name are escaped; the XML stays valid")
    func hostileThroughTheCLI() throws {
        let dir = try TestSupport.makeTempDir("vouch-hostile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let estate = dir.appendingPathComponent("estate")
        try FileManager.default.createDirectory(at: estate, withIntermediateDirectories: true)
        try Self.createFile(in: estate, nameBytes: Array("plain.conf".utf8), content: "a = 1\n")
        let store = dir.appendingPathComponent("vouch.db").path
        var r = try TestSupport.vouch(["collect", "--store", store, "--source", "files=\(estate.path)"])
        #expect(r.status == 0, "\(r.stderr)")
        // The second capture adds the hostile names, so drift lists them too.
        try Self.createFile(in: estate, nameBytes: Array("<script>alert(1)".utf8), content: Self.nasty)
        try Self.createFile(in: estate, nameBytes: Array("cdata]]>end".utf8), content: "]]>")
        try Self.createFile(in: estate, nameBytes: [0x62, 0x61, 0x64, 0xFF, 0xFE, 0x2E, 0x63, 0x6F, 0x6E, 0x66], content: "x")
        try Self.createFile(in: estate, nameBytes: Array("ctl\u{01}\u{1B}name".utf8), content: "y")
        r = try TestSupport.vouch(["collect", "--store", store, "--source", "files=\(estate.path)"])
        #expect(r.status == 0, "\(r.stderr)")

        // The engine's results cite every item, with hostile reasons, exception and attestation texts.
        let opened = try EvidenceStore(path: store)
        let subjects = try opened.pool.read { db in try String.fetchAll(db, sql: "SELECT subject FROM evidence WHERE capture_id = 2 ORDER BY id") }
        #expect(subjects.contains { $0.contains("\\xFF") }, "the files source keeps the invalid bytes visible: \(subjects)")
        try ReportFixture.evaluate(opened, capture: 2, at: "2026-01-01T00:00:00.000Z", controls: [
            FixtureControl(id: "A.8.9", title: "Configuration <b>management</b>", theme: "Technological", status: "partially_implemented",
                           checks: ["files.hostile"], attestation: #"{"statement":"\#(Self.jsonEscaped(Self.nasty))","owner":"<img src=x>"}"#),
        ], results: subjects.map { s in
            FixtureResult(check: "files.hostile", resource: s, status: s == "plain.conf" ? "pass" : "fail", reason: Self.nasty + " " + s,
                          evidenceSubjects: [s],
                          exception: s == "plain.conf" ? nil : #"{"reason":"\#(Self.jsonEscaped(Self.nasty))","approver":"]]>","expires":"2026-12-31","expired":false}"#)
        })

        let out = dir.appendingPathComponent("out")
        var args = ["report", "--store", store, "--out", out.path, "--generated-at", "2026-01-01T00:00:00Z"]
        if let xsd = OSCALTests.schemaDirectory { args += ["--validate-xml", xsd] } else {
            TestSupport.skip("XSD validation part: ../shared/schemas/oscal-1.2.1 is absent")
        }
        r = try TestSupport.vouch(args)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")

        let html = try Data(contentsOf: out.appendingPathComponent("report.html"))
        let xml = try Data(contentsOf: out.appendingPathComponent("report.xml"))
        let plan = try Data(contentsOf: out.appendingPathComponent("assessment-plan.xml"))
        let json = try Data(contentsOf: out.appendingPathComponent("report.json"))
        for (name, data) in [("report.html", html), ("report.xml", xml), ("assessment-plan.xml", plan)] {
            #expect(String(validating: data, as: UTF8.self) != nil, "\(name) is valid UTF-8")
            #expect(!data.contains { $0 < 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }, "\(name) holds a raw control character")
            let text = String(decoding: data, as: UTF8.self)
            #expect(!text.lowercased().contains("<script"), "\(name) holds a raw <script>")
            #expect(!text.contains("<img"), "\(name) holds a raw <img>")
            #expect(!text.contains("]]>"), "\(name) holds a raw ]]>")
            #expect(!text.contains("\u{85}") && !text.contains("\u{7F}"))
        }
        let page = String(decoding: html, as: UTF8.self)
        #expect(page.contains("&lt;script&gt;alert(1)"))
        #expect(page.contains("&lt;b&gt;management&lt;/b&gt;"))
        #expect(page.contains("\u{2401}\u{2407}\u{241B}"), "control characters are shown as control pictures")
        #expect(page.contains("bad\\xFF\\xFE.conf"), "the invalid UTF-8 name is shown with its bytes")
        #expect(page.contains("]]&gt;"))
        // The JSON keeps the texts exactly (JSON escapes them itself).
        let model = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        #expect(model?["schema"] as? String == "vouch.report.v1")
    }

    static func jsonEscaped(_ s: String) -> String {
        JSONValue.string(s).canonicalText.dropFirst().dropLast().description
    }

    @Test("SafeMarkup replaces what XML 1.0 forbids, visibly, and escapes markup")
    func safeMarkup() {
        #expect(SafeMarkup.clean("a\u{0}b\u{1F}c\td\ne") == "a\u{2400}b\u{241F}c\td\ne")
        #expect(SafeMarkup.clean("x\u{7F}y\u{9B}z\u{FFFE}") == "x\u{2421}y\u{FFFD}z\u{FFFD}")
        #expect(SafeMarkup.decode(Data([0x61, 0xFF, 0x62])) == "a\u{FFFD}b")
        #expect(SafeMarkup.escapeText("]]><a href='x'>&") == "]]&gt;&lt;a href='x'&gt;&amp;")
        #expect(SafeMarkup.escapeAttribute("\"'<\n") == "&quot;&#39;&lt;&#10;")
        #expect(SafeMarkup.oneLine("  a \n\t b  ") == "a b")
    }
}
