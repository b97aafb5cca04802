import ArgumentParser
import Foundation
import VouchCore

struct Vouch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vouch",
        abstract: "Turn declarative infrastructure into tamper-evident ISO/IEC 27001:2022 audit evidence.",
        discussion: """
            Pipeline: collect evidence into a sealed, hash-chained store; evaluate the Annex A controls \
            over it; render reports for auditors and CI.

            Every command takes --store (default ./vouch.db, or $VOUCH_STORE) and --profile (vouch.yaml).

            EXIT CODES
              0  ok
              1  findings, drift, or verification failure
              2  usage or configuration error
              3  the capture landed, but some sources failed (see the error items)
            """,
        version: VouchVersion.current,
        subcommands: [Init.self, Collect.self, Evaluate.self, Verify.self, Captures.self, Query.self, Controls.self, Report.self, NixParse.self, Drift.self, CI.self, Run.self,
                      Keygen.self, Export.self, Policy.self]
    )
}

/// The entry point: runs the command and maps usage errors to exit code 2 (not 64).
@main
enum Main {
    static func main() async {
        do {
            var command = try Vouch.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = Vouch.exitCode(for: error)
            if code == .validationFailure || (code == .failure && !(error is ExitCode)) {
                let message = Vouch.fullMessage(for: error)
                FileHandle.standardError.write(Data((message + "\n").utf8))
                Foundation.exit(2)
            }
            Vouch.exit(withError: error)
        }
    }
}
