import Foundation
import Testing
import VouchCore
import VouchReports
import VouchTestSupport

@Suite("HTML report")
struct GoldenReportTests {
    static let goldenURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden/fixture-report.html")

    func render() throws -> (String, ReportModel) {
        let (store, _) = try SampleEstate.build()
        let model = try ReportLoader(store: store, options: SampleEstate.options()).load()
        let html = try ReportGenerator(templateDirectory: TestSupport.packageRoot.appendingPathComponent("templates"))
            .render(model, formats: [.html])[0].data
        return (String(decoding: html, as: UTF8.self), model)
    }

    /// Hashes, seals and item ids depend on nothing random, but scrub them anyway so the golden file
    /// only changes when the report's content or layout does.
    static func scrub(_ html: String) -> String {
        var s = html.replacingOccurrences(of: #"[0-9a-f]{12,64}"#, with: "<hash>", options: .regularExpression)
        s = s.replacingOccurrences(of: "vouch " + VouchVersion.current, with: "vouch <version>")
        s = s.replacingOccurrences(of: "Vouch " + VouchVersion.current, with: "Vouch <version>")
        return s
    }

    @Test("the fixture store renders as the golden file (VOUCH_RECORD_GOLDEN=1 re-records)")
    func golden() throws {
        let (html, _) = try render()
        let scrubbed = Self.scrub(html)
        if ProcessInfo.processInfo.environment["VOUCH_RECORD_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.goldenURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(scrubbed.utf8).write(to: Self.goldenURL)
            TestSupport.skip("golden file re-recorded at \(Self.goldenURL.path)")
            return
        }
        let golden = try String(contentsOf: Self.goldenURL, encoding: .utf8)
        if golden != scrubbed {
            let a = golden.split(separator: "\n", omittingEmptySubsequences: false)
            let b = scrubbed.split(separator: "\n", omittingEmptySubsequences: false)
            let line = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
            Issue.record("HTML differs from the golden file at line \(line + 1):\n golden: \(line < a.count ? String(a[line]) : "<end>")\n actual: \(line < b.count ? String(b[line]) : "<end>")\nRe-record with VOUCH_RECORD_GOLDEN=1 if the change is intended.")
        }
    }

    @Test("two renders of the same store and generation time are byte-identical")
    func deterministic() throws {
        let (a, _) = try render()
        let (b, _) = try render()
        #expect(a == b)
    }

    @Test("the HTML is self-contained: no external URL, no script, no remote resource")
    func selfContained() throws {
        let (html, _) = try render()
        for needle in ["http://", "https://", "<script", "src=", "@import", "url(", "<link", "<iframe", "<object"] {
            #expect(!html.lowercased().contains(needle), "the report contains \(needle)")
        }
        // Every link is an anchor inside the document, and each anchor target exists.
        let hrefs = html.matches(of: /href="([^"]*)"/).map { String($0.1) }
        #expect(!hrefs.isEmpty)
        for h in hrefs {
            #expect(h.hasPrefix("#"), "link \(h) leaves the document")
            #expect(html.contains("id=\"\(h.dropFirst())\""), "anchor \(h) has no target")
        }
    }

    @Test("the report holds the cover, SoA, controls, drift and appendix of the fixture")
    func contents() throws {
        let (html, model) = try render()
        #expect(html.contains(model.capture.seal))
        #expect(html.contains("Example Platform Team"))
        #expect(model.controls.count == SampleEstate.controls.count)
        for c in SampleEstate.controls { #expect(html.contains(">\(c.id)<") || html.contains(">\(c.id) ·")) }
        // Drift: worker-2 and netpol added, namespaces removed, the SSH option changed.
        let drift = try #require(model.drift)
        #expect((drift.added, drift.removed, drift.changed) == (2, 1, 1))
        #expect(html.contains("k8s/namespaces.yaml"))
        // Exceptions with expiry, attestation, evidence hashes.
        #expect(html.contains("expires 2026-03-31"))
        #expect(html.contains("The ISMS policy set v3 was approved by the board."))
        let cited = try #require(model.controls.first { $0.id == "A.8.17" }?.evidence.first)
        #expect(html.contains(cited.sha256))
        // Both charts are inline SVG.
        #expect(html.components(separatedBy: "<svg class=\"chart\"").count == 3)
    }
}
