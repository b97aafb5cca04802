import ArgumentParser
import Foundation
import GRDB
import VouchControls
import VouchCore

extension Vouch {
    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Network policy: compare what is declared with what the kernel enforces.",
            subcommands: [PolicyVerify.self])
    }

    struct PolicyVerify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Compare the declared network policy (netpol) with the kernel's Cilium policy maps (bpf), per endpoint.",
            discussion: """
                Needs a capture holding both sides: netpol facts, and the bpf source's Cilium endpoints, identities \
                and policy map entries (live or imported). Writes policy_verification rows for the capture and \
                prints every entry that is unexpected, missing, mismatched or unverified.

                Exit 0 when everything matches (or is implicit/unverified), 1 when anything is unexpected, missing \
                or mismatched, 2 on a usage error or when the capture lacks one side.
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: "The capture to verify (default: the newest).")
        var capture: Int64?

        @Option(help: "Print at most this many entries.")
        var limit: Int = 50

        func run() async throws {
            try runMapped {
                _ = global.logger()
                let store = try global.openStore()
                let s = try PolicyVerifier.run(store: store, captureID: capture)
                guard s.applicable else {
                    throw ValidationError("capture \(s.captureID) does not hold both sides: collect netpol (declared policies) and bpf "
                                          + "(Cilium policy maps, endpoint and identity lists) in one capture")
                }
                let order = ["mismatch", "missing", "unexpected", "unverified", "implicit", "match"]
                print("capture \(s.captureID): " + order.map { "\(s.counts[$0] ?? 0) \($0)" }.joined(separator: ", "))
                let rows = try store.pool.read { db in
                    try Row.fetchAll(db, sql: """
                        SELECT endpoint_id, namespace, pod, verdict, entry, policies, reason FROM policy_verification
                        WHERE capture_id = ? AND verdict NOT IN ('match', 'implicit')
                        ORDER BY CASE verdict WHEN 'mismatch' THEN 0 WHEN 'missing' THEN 1 WHEN 'unexpected' THEN 2 ELSE 3 END,
                                 namespace, pod, endpoint_id, seq
                        LIMIT ?
                        """, arguments: [s.captureID, limit])
                }
                for r in rows {
                    let who = "endpoint \((r["endpoint_id"] as Int64?).map(String.init) ?? "-") \((r["namespace"] as String?) ?? "")/\((r["pod"] as String?) ?? "")"
                    let why = [(r["policies"] as String?).map { "from \($0)" }, r["reason"] as String?].compactMap { $0 }.joined(separator: "; ")
                    print("  \((r["verdict"] as String).uppercased())  \(who)  \((r["entry"] as String?) ?? "")\(why.isEmpty ? "" : "  [\(why)]")")
                }
                if s.problems > 0 { throw ExitCode(1) }
            }
        }
    }
}
