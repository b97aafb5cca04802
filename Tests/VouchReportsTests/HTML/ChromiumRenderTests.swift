import Foundation
import Testing
import VouchCore
import VouchReports
import VouchTestSupport

/// The PNG header facts the test needs: size from IHDR, and the compressed image data length.
struct PNGInfo {
    var width: Int
    var height: Int
    var idatBytes: Int

    init?(_ data: Data) {
        let b = [UInt8](data)
        guard b.count > 33, b[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
        func u32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        width = u32(16)
        height = u32(20)
        var idat = 0
        var i = 8
        while i + 8 <= b.count {
            let len = u32(i)
            if String(decoding: b[i + 4..<i + 8], as: UTF8.self) == "IDAT" { idat += len }
            i += 12 + len
        }
        idatBytes = idat
    }
}

@Suite("HTML report in headless Chromium")
struct ChromiumRenderTests {
    @Test("Chromium renders the report to a PNG of the window size that is far from blank")
    func screenshot() throws {
        guard let chromium = Chromium.find() else {
            TestSupport.skip("headless Chromium is not installed (Debian package chromium; make setup installs it)")
            return
        }
        let (store, dir) = try SampleEstate.build()
        let model = try ReportLoader(store: store, options: SampleEstate.options()).load()
        let out = dir.appendingPathComponent("out")
        try ReportGenerator(templateDirectory: TestSupport.packageRoot.appendingPathComponent("templates"))
            .write(model, formats: [.html], to: out)
        let png = dir.appendingPathComponent("report.png")
        try chromium.screenshot(html: out.appendingPathComponent(ReportGenerator.htmlName), to: png, width: 1280, height: 4000)
        // A blank page of the same size, rendered the same way, is the baseline.
        let blankHTML = dir.appendingPathComponent("blank.html")
        try Data("<!DOCTYPE html><html><body></body></html>".utf8).write(to: blankHTML)
        let blankPNG = dir.appendingPathComponent("blank.png")
        try chromium.screenshot(html: blankHTML, to: blankPNG, width: 1280, height: 4000)

        let report = try #require(PNGInfo(try Data(contentsOf: png)))
        let blank = try #require(PNGInfo(try Data(contentsOf: blankPNG)))
        #expect(report.width == 1280)
        #expect(report.height == 4000)
        // Text, tables and charts make the image data many times larger than a uniform page.
        #expect(report.idatBytes > 8 * max(1, blank.idatBytes), "report \(report.idatBytes) bytes vs blank \(blank.idatBytes)")
        #expect(report.idatBytes > 100_000)
        print("screenshot: \(png.path) (\(report.idatBytes) bytes of image data; blank \(blank.idatBytes))")
        if let keep = ProcessInfo.processInfo.environment["VOUCH_KEEP_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: png, to: URL(fileURLWithPath: keep))
        }
    }

    @Test("--pdf prints the report through Chromium")
    func pdf() throws {
        guard let chromium = Chromium.find() else {
            TestSupport.skip("headless Chromium is not installed")
            return
        }
        let (store, dir) = try SampleEstate.build()
        let model = try ReportLoader(store: store, options: SampleEstate.options()).load()
        try ReportGenerator(templateDirectory: TestSupport.packageRoot.appendingPathComponent("templates")).write(model, formats: [.html], to: dir)
        let pdf = dir.appendingPathComponent("report.pdf")
        try chromium.printPDF(html: dir.appendingPathComponent("report.html"), to: pdf)
        let data = try Data(contentsOf: pdf)
        #expect(data.starts(with: Data("%PDF-".utf8)))
        #expect(data.count > 20_000)
    }
}
