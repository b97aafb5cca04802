import Foundation
import VouchCore

/// The report formats `vouch report` writes.
public enum ReportFormat: String, Sendable, CaseIterable {
    case html, oscal, json

    /// Parses `html,oscal,json`.
    public static func list(_ text: String) throws -> [ReportFormat] {
        var out: [ReportFormat] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !part.isEmpty {
            guard let f = ReportFormat(rawValue: part) else { throw ReportError.unknownFormat(part) }
            if !out.contains(f) { out.append(f) }
        }
        return out
    }
}

/// Renders one capture's report in the chosen formats into a folder.
public struct ReportGenerator {
    /// Output file names (fixed, so scripts and the bundle can rely on them).
    public static let htmlName = "report.html"
    public static let resultsName = "report.xml"
    public static let planName = OSCALWriter.planFileName
    public static let jsonName = "report.json"
    public static let pdfName = "report.pdf"

    public var templateDirectory: URL?

    public init(templateDirectory: URL? = HTMLRenderer.defaultTemplateDirectory()) {
        self.templateDirectory = templateDirectory
    }

    /// Renders every format into memory: file name → bytes.
    public func render(_ model: ReportModel, formats: [ReportFormat]) throws -> [(name: String, data: Data)] {
        var out: [(String, Data)] = []
        for f in formats {
            switch f {
            case .html:
                guard let dir = templateDirectory else { throw ReportError.templatesMissing("any known place") }
                out.append((Self.htmlName, Data(try HTMLRenderer(templateDirectory: dir).render(model).utf8)))
            case .oscal:
                let w = OSCALWriter(model: model)
                out.append((Self.resultsName, Data(w.assessmentResults().utf8)))
                out.append((Self.planName, Data(w.assessmentPlan().utf8)))
            case .json:
                out.append((Self.jsonName, try Self.json(model)))
            }
        }
        return out
    }

    /// The JSON shape: the model, snake_case keys, sorted, pretty-printed.
    public static func json(_ model: ReportModel) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        var data = try e.encode(model)
        data.append(0x0A)
        return data
    }

    /// Writes the rendered files into `directory` (created if needed) and returns their paths.
    @discardableResult
    public func write(_ model: ReportModel, formats: [ReportFormat], to directory: URL) throws -> [URL] {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw ReportError.cannotWrite(directory.path, error.localizedDescription)
        }
        var written: [URL] = []
        for (name, data) in try render(model, formats: formats) {
            let url = directory.appendingPathComponent(name)
            do { try data.write(to: url, options: .atomic) } catch {
                throw ReportError.cannotWrite(url.path, error.localizedDescription)
            }
            written.append(url)
        }
        return written
    }

    /// Normalizes `--generated-at` to the stored timestamp form.
    public static func generationTime(_ text: String?) throws -> String {
        guard let text else { return Timestamp.string(Date()) }
        guard let d = Timestamp.parse(text) else { throw ReportError.badTime(text) }
        return Timestamp.string(d)
    }
}
