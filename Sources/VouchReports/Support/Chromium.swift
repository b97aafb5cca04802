import Foundation

/// Headless Chromium, for `--pdf` (and the tests' screenshots). Runs with a throw-away profile
/// and no network beyond what the page asks for (the report asks for nothing).
public struct Chromium: Sendable {
    public let executable: String

    /// The first of chromium, chromium-browser, google-chrome on PATH, or nil.
    public static func find() -> Chromium? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            for dir in path.split(separator: ":") {
                let p = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: p) { return Chromium(executable: p) }
            }
        }
        return nil
    }

    public init(executable: String) { self.executable = executable }

    /// Prints an HTML file to PDF (A4, the report's print CSS, no browser header or footer).
    public func printPDF(html: URL, to pdf: URL) throws {
        try run(["--print-to-pdf=\(pdf.path)", "--no-pdf-header-footer", "--print-to-pdf-no-header"], html: html)
        guard FileManager.default.fileExists(atPath: pdf.path) else { throw ReportError.pdfFailed("no PDF was written") }
    }

    /// Renders an HTML file to a PNG screenshot of the given window size.
    public func screenshot(html: URL, to png: URL, width: Int = 1280, height: Int = 4000) throws {
        try run(["--screenshot=\(png.path)", "--window-size=\(width),\(height)", "--hide-scrollbars"], html: html)
        guard FileManager.default.fileExists(atPath: png.path) else { throw ReportError.pdfFailed("no screenshot was written") }
    }

    private func run(_ arguments: [String], html: URL, timeout: TimeInterval = 120) throws {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("vouch-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                       "--disable-extensions", "--disable-background-networking", "--user-data-dir=\(profile.path)"]
            + arguments + [html.absoluteURL.absoluteString]
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = profile.path
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch { throw ReportError.pdfFailed("cannot start \(executable): \(error.localizedDescription)") }
        nonisolated(unsafe) var errData = Data()
        let reader = DispatchGroup()
        reader.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); reader.leave() }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning, Date() < deadline { usleep(50_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            throw ReportError.pdfFailed("Chromium did not finish within \(Int(timeout)) s")
        }
        reader.wait()
        if p.terminationStatus != 0 {
            let tail = String(decoding: errData.suffix(600), as: UTF8.self)
            throw ReportError.pdfFailed("exit \(p.terminationStatus): \(tail)")
        }
    }
}
