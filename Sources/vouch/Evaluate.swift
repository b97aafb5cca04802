import ArgumentParser
import Foundation
import VouchControls
import VouchCore

extension Vouch {
    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every check over a capture, derive each control's status, and store the results and the SoA.",
            discussion: """
                Results land in the store (tables evaluation, check_result, control_result; view soa) with the \
                catalog's and the profile's digests. The catalog comes from --controls, $VOUCH_CONTROLS, controls/ \
                next to the profile or in the working directory, or beside the executable.

                Exit 0 when no check failed, 1 when any check failed (after the profile's exceptions), 2 on a \
                usage or configuration error.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var catalogOptions: CatalogOptions

        @Option(help: "The capture to evaluate (default: the newest).")
        var capture: Int64?

        @Option(help: "Print at most this many failures and errors.")
        var limit: Int = 25

        @Flag(help: "Skip recomputing the store's hashes (checks on the evidence chain then have no evidence).")
        var noVerify = false

        func run() async throws {
            try runMapped {
                _ = global.logger()
                let profile = try global.loadProfile()
                let catalog = try catalogOptions.load(profile: profile)
                let settings = try ProfileSettings.load(profile, catalog: catalog)
                let store = try global.openStore()
                var evaluator = Evaluator(store: store, catalog: catalog, settings: settings, profileSHA256: profile.sha256)
                evaluator.verifyStore = !noVerify
                try PolicyVerifier.refresh(store: store, captureID: capture)
                let s = try evaluator.evaluate(captureID: capture)
                print("evaluation \(s.evaluationID) of capture \(s.captureID) (catalog \(catalog.framework.title), \(catalog.origin): \(catalog.directory.path))")
                let checkCounts = Check.statuses.map { "\(s.count(checkStatus: $0)) \($0)" }.joined(separator: ", ")
                print("  checks: \(catalog.checks.count) run, results: \(checkCounts)")
                let controlCounts = ControlStatus.allCases.map { "\(s.count($0)) \($0.rawValue)" }.joined(separator: ", ")
                print("  controls: \(controlCounts)")
                let findings = s.checks.filter { $0.status == "fail" } + s.checks.filter { $0.status == "error" }
                for r in findings.prefix(limit) {
                    print("  \(r.status.uppercased())  \(r.checkID)  \(r.resource): \(r.reason)")
                }
                if findings.count > limit {
                    print("  … and \(findings.count - limit) more: vouch query \"SELECT check_id, resource, status, reason FROM check_result WHERE evaluation_id = \(s.evaluationID) AND status IN ('fail', 'error')\"")
                }
                print("  the Statement of Applicability: vouch query \"SELECT control_id, status FROM soa WHERE capture_id = \(s.captureID)\"")
                if s.hasFailures { throw ExitCode(1) }
            }
        }
    }
}

/// Where the controls catalog is.
struct CatalogOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The controls catalog folder (default: $VOUCH_CONTROLS, controls/ next to the profile or here, or beside the executable).", valueName: "DIR"))
    var controls: String?

    func locate(profile: Profile) throws -> CatalogLocator.Found {
        try CatalogLocator.locate(explicit: controls, profileDirectory: profile.path == nil ? nil : profile.directory)
    }

    func load(profile: Profile) throws -> Catalog {
        let found = try locate(profile: profile)
        return try CatalogLoader.load(directory: found.directory, origin: found.origin)
    }
}
