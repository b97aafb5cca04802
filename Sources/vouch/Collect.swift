import ArgumentParser
import Foundation
import VouchCollectors
import VouchCore

extension Vouch {
    struct Collect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take one capture: collect every source into one sealed, chained capture.",
            discussion: """
                Sources come from --source KIND=TARGET (repeatable) and the profile's `sources`. Known sources:
                \(CollectorRegistry.all.map { "  \($0.source)=\($0.targetSyntax)  \($0.summary)" }.joined(separator: "\n"))

                Exit 0 when every source landed, 3 when the capture landed with error items, 2 on a usage error.
                """)

        @OptionGroup var global: GlobalOptions

        @Option(name: .customLong("source"), help: ArgumentHelp("A source to collect, as KIND=TARGET (repeatable).", valueName: "KIND=TARGET"))
        var sources: [String] = []

        @Option(help: ArgumentHelp("Sign the capture's seal with this Ed25519 private key (else the profile's signing.key).", valueName: "KEY"))
        var signKey: String?

        func validate() throws {
            for s in sources {
                let r = try SourceRequest.parse(s)
                guard CollectorRegistry.collector(for: r.source) != nil else {
                    throw ValidationError("unknown source '\(r.source)'; known: \(CollectorRegistry.sourceNames.joined(separator: ", "))")
                }
            }
        }

        func run() async throws {
            try runMapped {
                let logger = global.logger()
                let profile = try global.loadProfile()
                var requests = try profile.sources()
                requests += try sources.map(SourceRequest.parse)
                guard !requests.isEmpty else {
                    throw ValidationError("nothing to collect: give --source KIND=TARGET or list sources in the profile")
                }
                let signingKey = try (signKey ?? profile["signing"]?["key"]?.stringValue.map { profile.directory.appendingPathComponent($0).path })
                    .map { try SigningKeys.loadPrivate(path: $0) }
                // A missing store is built with this capture in it (see `EvidenceStore.withStore`).
                let outcome = try EvidenceStore.withStore(path: global.store) { store in
                    let runner = CaptureRunner(store: store, collectors: CollectorRegistry.all, baseDirectory: profile.directory,
                                               logger: logger, profileSHA256: profile.sha256)
                    runner.progress = { Progress.line($0) }
                    return try runner.run(requests)
                }
                if let signingKey { try CaptureSigning.signUnsigned(global.openStore(), key: signingKey) }
                Progress.clear()
                print("capture \(outcome.captureID) sealed \(outcome.seal.prefix(16))… in \(global.store): \(outcome.itemCount) items, \(outcome.errorCount) errors")
                for s in outcome.sources {
                    let why = s.message.map { ": \($0)" } ?? ""
                    print("  \(s.source)=\(s.target): \(s.status), \(s.itemCount) items, \(s.errorCount) errors\(why)")
                }
                if outcome.errorCount > 0 { throw ExitCode(3) }
            }
        }
    }
}
