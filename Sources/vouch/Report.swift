import ArgumentParser
import Foundation
import VouchControls
import VouchCore
import VouchReports

extension Vouch {
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a capture's report: self-contained HTML, OSCAL assessment results and plan, JSON.",
            discussion: """
                Files written to --out: report.html, report.xml (OSCAL assessment-results), assessment-plan.xml, \
                report.json, and report.pdf with --pdf (needs headless Chromium). The report is read from the \
                store alone; the same store and --generated-at give byte-identical files.

                --validate-xml DIR validates the OSCAL files through libxml2 against the NIST OSCAL 1.2.1 XSDs in DIR \
                (oscal_assessment-results_schema.xsd, oscal_assessment-plan_schema.xsd).

                Exit 0 when written (and valid), 1 when the OSCAL output does not validate, 2 on a usage or store error.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var catalogOptions: CatalogOptions

        @Option(help: "The capture to report on (default: the newest).")
        var capture: Int64?

        @Option(help: "Formats, comma-separated: html, oscal, json.")
        var format: String = "html,oscal,json"

        @Option(help: ArgumentHelp("The folder to write into.", valueName: "DIR"))
        var out: String = "out"

        @Flag(help: "Also print the HTML report to report.pdf with headless Chromium.")
        var pdf = false

        @Option(help: ArgumentHelp("The generation time printed in the report (ISO 8601), for reproducible output.", valueName: "TIME"))
        var generatedAt: String?

        @Option(help: ArgumentHelp("Validate the OSCAL output against the NIST XSDs in this folder.", valueName: "XSD_DIR"))
        var validateXml: String?

        func validate() throws {
            let formats = try ReportFormat.list(format)
            guard !formats.isEmpty else { throw ValidationError("--format needs at least one of html, oscal, json") }
            if pdf, !formats.contains(.html) { throw ValidationError("--pdf prints the HTML report: add html to --format") }
            if validateXml != nil, !formats.contains(.oscal) { throw ValidationError("--validate-xml checks the OSCAL output: add oscal to --format") }
            _ = try ReportGenerator.generationTime(generatedAt)
        }

        func run() async throws {
            try runMapped {
                _ = global.logger()
                let profile = try global.loadProfile()
                let store = try global.openStore()
                let formats = try ReportFormat.list(format)
                var options = ReportOptions(captureID: capture, generatedAt: try ReportGenerator.generationTime(generatedAt),
                                            organisation: profile["organisation"]?.stringValue ?? profile["organization"]?.stringValue,
                                            scope: profile["scope"]?.stringValue)
                let id = try store.resolveCapture(capture)
                options.captureID = id
                try evaluateIfNeeded(store: store, captureID: id, profile: profile)
                let model = try ReportLoader(store: store, options: options).load()
                if model.evaluation == nil {
                    FileHandle.standardError.write(Data("note: capture \(model.capture.id) has not been evaluated and no controls catalog was found; the report shows its evidence and no control status (run `vouch evaluate --controls DIR`).\n".utf8))
                }
                let dir = URL(fileURLWithPath: out)
                let files = try ReportGenerator().write(model, formats: formats, to: dir)
                for f in files { print("wrote \(f.path)") }
                if pdf {
                    guard let chromium = Chromium.find() else { throw ReportError.chromiumMissing }
                    let target = dir.appendingPathComponent(ReportGenerator.pdfName)
                    try chromium.printPDF(html: dir.appendingPathComponent(ReportGenerator.htmlName), to: target)
                    print("wrote \(target.path)")
                }
                if let xsd = validateXml {
                    do {
                        try OSCALValidation.validate(
                            results: try Data(contentsOf: dir.appendingPathComponent(ReportGenerator.resultsName)),
                            plan: try Data(contentsOf: dir.appendingPathComponent(ReportGenerator.planName)), schemaDirectory: xsd)
                        print("valid: \(ReportGenerator.resultsName) and \(ReportGenerator.planName) against the OSCAL XSDs in \(xsd)")
                    } catch let e as XMLValidationError {
                        if case .schemaUnusable = e { throw e }
                        throw fail(e, code: 1)
                    }
                }
            }
        }
    
        /// A capture with no evaluation is evaluated first, when a controls catalog can be found.
        func evaluateIfNeeded(store: EvidenceStore, captureID: Int64, profile: Profile) throws {
            let evaluated = try store.pool.read { db in try ReportLoader.evaluation(db, captureID: captureID) } != nil
            guard !evaluated, let found = try? catalogOptions.locate(profile: profile) else { return }
            let catalog = try CatalogLoader.load(directory: found.directory, origin: found.origin)
            let settings = try ProfileSettings.load(profile, catalog: catalog)
            let summary = try Evaluator(store: store, catalog: catalog, settings: settings, profileSHA256: profile.sha256)
                .evaluate(captureID: captureID)
            FileHandle.standardError.write(Data("note: capture \(captureID) had no evaluation: evaluated it first (evaluation \(summary.evaluationID)).\n".utf8))
        }
    }
}
