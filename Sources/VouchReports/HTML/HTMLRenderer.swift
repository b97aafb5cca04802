import Foundation
import Mustache

/// Renders the HTML report from the mustache templates in `templates/`.
public struct HTMLRenderer {
    public let templates: MustacheLibrary
    public let directory: URL

    /// Loads `report.mustache` and its partials from a templates folder.
    public init(templateDirectory: URL) throws {
        directory = templateDirectory
        var library = MustacheLibrary()
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: templateDirectory.path).filter({ $0.hasSuffix(".mustache") }).sorted(),
              names.contains("report.mustache")
        else { throw ReportError.templatesMissing(templateDirectory.path) }
        for name in names {
            let url = templateDirectory.appendingPathComponent(name)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw ReportError.templateInvalid(url.path, "not readable UTF-8") }
            do { try library.register(text, named: String(name.dropLast(".mustache".count))) } catch {
                throw ReportError.templateInvalid(url.path, "\(error)")
            }
        }
        templates = library
    }

    /// Finds the templates folder: `$VOUCH_TEMPLATES`, beside the executable (`../share/vouch/templates`
    /// for an install, or any parent folder's `templates/` for a build tree), else the source checkout.
    public static func defaultTemplateDirectory(executable: String = CommandLine.arguments.first ?? "") -> URL? {
        let fm = FileManager.default
        func ok(_ url: URL) -> Bool { fm.fileExists(atPath: url.appendingPathComponent("report.mustache").path) }
        if let env = ProcessInfo.processInfo.environment["VOUCH_TEMPLATES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        var candidates: [URL] = []
        if !executable.isEmpty {
            let exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
            candidates.append(exe.appendingPathComponent("../share/vouch/templates").standardized)
            var dir = exe
            for _ in 0..<6 {
                candidates.append(dir.appendingPathComponent("templates"))
                dir = dir.deletingLastPathComponent()
            }
        }
        // The checkout this library was built from (…/Sources/VouchReports/HTML/ → …/templates).
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("templates"))
        return candidates.first(where: ok)
    }

    /// The report as one self-contained HTML document.
    public func render(_ model: ReportModel) throws -> String {
        guard let html = templates.render(HTMLView(model: model).context(), withTemplate: "report") else {
            throw ReportError.templatesMissing(directory.path)
        }
        return html
    }
}
