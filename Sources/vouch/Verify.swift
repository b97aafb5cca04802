import ArgumentParser
import Foundation
import VouchCore
import VouchReports

extension Vouch {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every hash, seal and chain link; name the first capture and item that no longer match.",
            discussion: """
                STORE (default --store) verifies an evidence store; a FILE.zip verifies an auditor bundle offline \
                (no store needed): every file's SHA-256 and size against the manifest, the manifest's Ed25519 \
                signature, every item hash, capture seal and chain link, naming each file or link that fails.
                --public-key KEY checks signatures against that key: the bundle's manifest must be signed by it; in a \
                store, every capture's seal must carry a valid signature by it.
                Exit 0 when intact, 1 when anything was changed, 2 when it cannot be read.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The store or bundle to verify (default: --store).", valueName: "STORE|FILE.zip"))
        var target: String?

        @Option(help: ArgumentHelp("The Ed25519 public key (PEM) signatures must verify with.", valueName: "KEY"))
        var publicKey: String?

        func run() async throws {
            try runMapped {
                _ = global.logger()
                let key = try publicKey.map { try SigningKeys.loadPublic(path: $0) }
                if let target, target.lowercased().hasSuffix(".zip") {
                    try verifyBundle(target, key: key)
                    return
                }
                let store = try EvidenceStore(path: target ?? global.store, readOnly: true)
                var report = try Verifier(store: store).verify()
                report.problems += try CaptureSigning.verify(store, trusted: key)
                if report.isIntact {
                    let signed = key.map { ", every seal signed by \(SigningKeys.keyID($0))" } ?? ""
                    print("intact: \(report.captures) captures, \(report.items) items, \(report.blobs) blobs (\(report.blobBytes) bytes) verified in \(store.path)\(signed)")
                    return
                }
                print("NOT INTACT: \(report.problems.count) problem(s) in \(store.path)")
                print("first: \(report.problems[0])")
                for p in report.problems.dropFirst().prefix(50) { print("  \(p)") }
                if report.problems.count > 51 { print("  … and \(report.problems.count - 51) more") }
                throw ExitCode(1)
            }
        }

        private func verifyBundle(_ path: String, key: SigningPublicKey?) throws {
            let report = try BundleVerifier(path: path, publicKey: key).verify()
            if report.isIntact {
                print("intact: \(path): \(report.files) files (\(report.bytes) bytes), \(report.captures) captures, \(report.items) items verified")
                if let id = report.keyID {
                    print(report.trustedKey ? "signed by \(id), verified with the given public key"
                                            : "signed by \(id) (checked with the key inside the bundle only: pass --public-key to establish who signed it)")
                } else {
                    print("not signed: integrity only (anyone could have made this bundle)")
                }
                return
            }
            print("NOT INTACT: \(report.problems.count) problem(s) in \(path)")
            for p in report.problems.prefix(100) { print("  \(p)") }
            if report.problems.count > 100 { print("  … and \(report.problems.count - 100) more") }
            throw ExitCode(1)
        }
    }
}
