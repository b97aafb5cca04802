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
        guard try db.tableExists("policy_verification"), try db.tableExists("policy_rule") else { return summary }
        try db.execute(sql: "DELETE FROM policy_verification WHERE capture_id = ?", arguments: [captureID])
        let inputs = try PolicyInputs.load(db, captureID: captureID)
        guard !inputs.rules.isEmpty, !inputs.endpoints.isEmpty || !inputs.enforced.isEmpty else { return summary }
        summary.applicable = true
        let insert = try db.makeStatement(sql: """
            INSERT INTO policy_verification(capture_id, host, endpoint_id, namespace, pod, direction, identity, protocol, port,
                                            port_prefix_len, expected, enforced, verdict, policies, reason, entry)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var resolver = PeerResolver(identities: inputs.identities)
        for row in Comparison.rows(inputs: inputs, resolver: &resolver) {
            summary.counts[row.verdict, default: 0] += 1
            try insert.execute(arguments: [captureID, row.host, row.endpointID, row.namespace, row.pod, row.direction, row.identity,
                                           row.proto, row.port, row.prefix, row.expected, row.enforced, row.verdict, row.policies,
                                           row.reason, row.entryText])
        }
        return summary
    }
}

/// One `policy_verification` row.
struct VerificationRow {
    var host: String?
    var endpointID: Int64?
    var namespace: String?
    var pod: String?
    var direction: String?
    var identity: Int64?
    var proto: Int64?
    var port: Int64?
    var prefix: Int64?
    var expected: String?
    var enforced: String?
    var verdict: String
    var policies: String?
    var reason: String?

    /// A one-line description (the check quotes it as the reason).
    var entryText: String {
        let protoName = proto.map { PeerResolver.protocolName($0) } ?? "?"
        let portText = (port ?? 0) == 0 ? "any" : String(port!) + ((prefix ?? 16) < 16 ? "/\(prefix!)" : "")
        return "\(direction ?? "?") identity \(identity.map(String.init) ?? "?") \(protoName)/\(portText): "
            + "\(verdict) (declared \(expected ?? "nothing"), kernel \(enforced ?? "nothing"))"
    }
}
