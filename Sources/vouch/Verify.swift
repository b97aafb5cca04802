import ArgumentParser
import Foundation
import VouchCore

extension Vouch {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every hash, seal and chain link; name the first capture and item that no longer match.",
            discussion: "Exit 0 when the store is intact, 1 when anything was changed, 2 when it cannot be read.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The store to verify (default: --store).", valueName: "STORE"))
        var target: String?

        func run() async throws {
            try runMapped {
                _ = global.logger()
                let store = try EvidenceStore(path: target ?? global.store, readOnly: true)
                let report = try Verifier(store: store).verify()
                if report.isIntact {
                    print("intact: \(report.captures) captures, \(report.items) items, \(report.blobs) blobs (\(report.blobBytes) bytes) verified in \(store.path)")
                    return
                }
                print("NOT INTACT: \(report.problems.count) problem(s) in \(store.path)")
                print("first: \(report.problems[0])")
                for p in report.problems.dropFirst().prefix(50) { print("  \(p)") }
                if report.problems.count > 51 { print("  … and \(report.problems.count - 51) more") }
                throw ExitCode(1)
            }
        }
    }
}
