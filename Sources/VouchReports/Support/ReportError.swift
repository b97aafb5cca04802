import Foundation

/// Errors of report rendering: each says what failed, on which input, and what to do.
public enum ReportError: Error, LocalizedError, Sendable, Equatable {
    case templatesMissing(String)
    case templateInvalid(String, String)
    case unknownFormat(String)
    case badTime(String)
    case cannotWrite(String, String)
    case chromiumMissing
    case pdfFailed(String)

    public var errorDescription: String? {
        switch self {
        case .templatesMissing(let dir):
            return "the report templates were not found (looked for report.mustache in \(dir)); set VOUCH_TEMPLATES to the templates/ folder of Vouch."
        case .templateInvalid(let path, let why):
            return "the report template \(path) is invalid: \(why)"
        case .unknownFormat(let f):
            return "unknown report format '\(f)'; use html, oscal and/or json, comma-separated."
        case .badTime(let t):
            return "--generated-at '\(t)' is not an ISO 8601 time with a zone, e.g. 2026-01-01T00:00:00Z."
        case .cannotWrite(let path, let why):
            return "cannot write \(path): \(why). Check that the folder exists and is writable."
        case .chromiumMissing:
            return "--pdf needs headless Chromium (the Debian package `chromium`; `make setup` installs it), and none was found on PATH."
        case .pdfFailed(let why):
            return "Chromium could not print the report to PDF: \(why)"
        }
    }
}
