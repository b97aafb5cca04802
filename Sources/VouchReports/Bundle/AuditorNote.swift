import Foundation
import VouchCore

/// The short plain-text note for the auditor at the top of every bundle.
enum AuditorNote {
    static func text(captures: [CaptureHeader], keyID: String?, createdAt: String) -> String {
        let ids = captures.filter { !$0.pruned }.map { String($0.id) }.joined(separator: ", ")
        let last = captures.last
        return """
            VOUCH AUDITOR BUNDLE
            ====================

            Created \(createdAt) by Vouch \(VouchVersion.current) from capture(s) \(ids) of an evidence store.
            Newest capture seal: \(last?.seal ?? "-")
            \(keyID.map { "Signed with the Ed25519 key \($0)." } ?? "NOT SIGNED: this bundle proves integrity only, not who made it.")

            WHAT IS INSIDE
              report.html              the report for people (open it in any browser; it loads nothing)
              report.xml               OSCAL 1.2.1 assessment results (imports assessment-plan.xml)
              assessment-plan.xml      OSCAL 1.2.1 assessment plan
              report.json              the same results as data
              evidence/captures.jsonl  each capture's header, sources, seal and chain link
              evidence/capture-N.jsonl every evidence item of capture N, one JSON object per line
              blobs/SHA256             the raw artifacts, each named by the SHA-256 of its content
              catalog/, profile/       the control catalog and profile used, when available
              manifest.json            every file above with its SHA-256 and size, the seals and chain links,
                                       signed with Ed25519 over its canonical JSON (without "signature")

            HOW TO VERIFY (offline, no store needed)
              1. Obtain the team's public key through a channel you trust (not from this bundle).
              2. Run:  vouch verify THIS-BUNDLE.zip --public-key vouch-signing.pub
                 It recomputes every file's SHA-256, the manifest signature, every item hash and
                 capture seal, and each chain link; exit 0 means intact, exit 1 names what failed.
              3. Without Vouch: unzip the bundle and compare `sha256sum` of each file with manifest.json;
                 each blob's SHA-256 must equal its file name.
              4. The seal of the newest capture must equal the one the team reported (and the one on
                 the report's cover): a later edit of any evidence changes it.

            """
    }
}
