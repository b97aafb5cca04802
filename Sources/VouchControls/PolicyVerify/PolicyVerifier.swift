import Foundation
import GRDB
import VouchCore

/// Declared vs enforced: compares the L3/L4 policy map entries the declared network policies imply
/// for each Cilium endpoint with the entries the kernel's policy maps hold.
///
/// Reads only the store (one capture's `policy_rule`, `cilium_endpoint`, `cilium_identity` and
/// `cilium_policy_entry` facts) and writes `policy_verification` rows for that capture, replacing
/// earlier ones: the result is a pure function of sealed facts, so it is derived data (like the
/// engine's results), recomputed by `vouch policy verify` and `vouch evaluate`.
public struct PolicyVerifier {
    /// The verdict counts of one run.
    public struct Summary: Sendable {
        public var captureID: Int64
        public var counts: [String: Int] = [:]
        /// Whether the capture held both sides (declared rules and Cilium endpoint/policy facts).
        public var applicable = false
        public var problems: Int { (counts["unexpected"] ?? 0) + (counts["missing"] ?? 0) + (counts["mismatch"] ?? 0) }
    }

    public init() {}

    /// Verifies a capture (the newest when nil) and stores the rows.
    @discardableResult
    public static func run(store: EvidenceStore, captureID: Int64?) throws -> Summary {
        let id = try store.resolveCapture(captureID)
        return try store.pool.write { db in try run(db, captureID: id) }
    }

    /// Recomputes the rows before an evaluation; a store without captures is left to the evaluator to report.
    public static func refresh(store: EvidenceStore, captureID: Int64?) throws {
        if captureID == nil, try store.latestCaptureID() == nil { return }
        try run(store: store, captureID: captureID)
    }

    /// Verifies one capture inside an open write transaction.
    public static func run(_ db: Database, captureID: Int64) throws -> Summary {
        var summary = Summary(captureID: captureID)
        guard try db.tableExists("policy_verification_row"), try db.tableExists("policy_rule") else { return summary }
        // The view `policy_verification` reads three tables (Schema+PolicyVerification.swift). When a
        // table holds only this capture's rows, emptying it whole is far cheaper than a row-by-row
        // delete (SQLite's truncate optimization): the same result.
        for table in Schema.policyVerificationTables {
            let others = try Bool.fetchOne(db, sql: """
                SELECT EXISTS(SELECT 1 FROM \(table) WHERE capture_id < ?) OR EXISTS(SELECT 1 FROM \(table) WHERE capture_id > ?)
                """, arguments: [captureID, captureID]) ?? true
            if others {
                try db.execute(sql: "DELETE FROM \(table) WHERE capture_id = ?", arguments: [captureID])
            } else {
                try db.execute(sql: "DELETE FROM \(table)")
            }
        }
        let inputs = try PolicyInputs.load(db, captureID: captureID)
        guard !inputs.rules.isEmpty, !inputs.endpoints.isEmpty || inputs.hasEnforced else { return summary }
        summary.applicable = true
        let counts = try VerificationWriter.run(db, captureID: captureID) { writer in
            var resolver = PeerResolver(identities: inputs.identities)
            try Comparison.run(inputs: inputs, resolver: &resolver, writer: &writer)
        }
        for v in VerificationWriter.Verdict.allCases where counts[v.rawValue] > 0 {
            summary.counts[v.name] = counts[v.rawValue]
        }
        return summary
    }
}
