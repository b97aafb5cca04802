import Foundation
import GRDB
import VouchCore

/// The report's context sections: evidence appendix, git timeline, policy verification, trend.
/// Tables other areas build (git_commit, policy_verification) are read only when they exist.
enum ContextLoader {
    static func appendix(_ db: Database, captureID: Int64, limit: Int) throws -> EvidenceAppendix {
        let kinds = try Row.fetchAll(db, sql: """
            SELECT source, kind, count(*) AS n, sum(status = 'error') AS errors FROM evidence
            WHERE capture_id = ? GROUP BY source, kind ORDER BY source, kind
            """, arguments: [captureID]).map {
            KindCount(source: RowText.text($0, "source"), kind: RowText.text($0, "kind"), count: RowText.int($0, "n"),
                      errors: RowText.int($0, "errors"))
        }
        let blobs = try Row.fetchOne(db, sql: """
            SELECT count(*) AS n, coalesce(sum(b.size), 0) AS bytes FROM blob b
            WHERE b.sha256 IN (SELECT blob_sha256 FROM evidence WHERE capture_id = ? AND blob_sha256 IS NOT NULL)
            """, arguments: [captureID])
        let errorIDs = try Int64.fetchAll(db, sql: """
            SELECT id FROM evidence WHERE capture_id = ? AND status = 'error' ORDER BY source_seq, seq LIMIT ?
            """, arguments: [captureID, limit])
        let errorTotal = try Int.fetchOne(db, sql: "SELECT count(*) FROM evidence WHERE capture_id = ? AND status = 'error'",
                                          arguments: [captureID]) ?? 0
        return EvidenceAppendix(
            kinds: kinds, itemTotal: kinds.reduce(0) { $0 + $1.count }, blobCount: blobs.map { RowText.int($0, "n") } ?? 0,
            blobBytes: Int64(blobs.map { RowText.int($0, "bytes") } ?? 0),
            errors: try ControlLoader.evidenceRefs(db, captureID: captureID, ids: errorIDs), errorTotal: errorTotal, cited: [])
    }

    /// The newest commits of the capture's `git_commit` facts, when that table exists.
    static func timeline(_ db: Database, captureID: Int64, limit: Int) throws -> Timeline? {
        guard let cols = try RowText.columns(db, "git_commit"), cols.contains("capture_id") else { return nil }
        func col(_ names: String...) -> String {
            for n in names where cols.contains(n) { return n }
            return "NULL"
        }
        let time = col("committer_time", "author_time", "time")
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM git_commit WHERE capture_id = ?", arguments: [captureID]) ?? 0
        guard total > 0 else { return nil }
        let sigCol = col("signature_type")
        let signed = sigCol == "NULL" ? 0 : try Int.fetchOne(db, sql: """
            SELECT count(*) FROM git_commit WHERE capture_id = ? AND \(sigCol) IS NOT NULL AND \(sigCol) <> 'none'
            """, arguments: [captureID]) ?? 0
        let rows = try Row.fetchAll(db, sql: """
            SELECT \(col("repo")) AS repo, \(col("id", "commit_id")) AS id, \(time) AS time,
                   \(col("author_name", "author")) AS author, \(col("summary", "message")) AS summary,
                   \(sigCol) AS sig_type, \(col("signature_status")) AS sig_status
            FROM git_commit WHERE capture_id = ? ORDER BY \(time) DESC, rowid DESC LIMIT ?
            """, arguments: [captureID, limit])
        let commits = rows.map { r -> CommitRow in
            let type = RowText.text(r, "sig_type"), status = RowText.text(r, "sig_status")
            let signature = type.isEmpty || type == "none" ? "unsigned" : (status.isEmpty ? type : "\(type) (\(status))")
            return CommitRow(repo: RowText.text(r, "repo"), id: RowText.text(r, "id"), time: RowText.text(r, "time"),
                             author: RowText.text(r, "author"), summary: RowText.text(r, "summary"), signature: signature)
        }
        return Timeline(total: total, signed: signed, commits: commits)
    }

    static let verdictOrder = ["mismatch", "missing", "unexpected", "unverified", "implicit", "match"]

    /// The per-endpoint policy verification table, when `policy_verification` exists and has rows.
    static func policyVerification(_ db: Database, captureID: Int64, limit: Int) throws -> PolicyVerificationReport? {
        guard let cols = try RowText.columns(db, "policy_verification"), cols.contains("verdict"), cols.contains("capture_id")
        else { return nil }
        func col(_ n: String) -> String { cols.contains(n) ? n : "NULL" }
        let verdictRows = try Row.fetchAll(db, sql: """
            SELECT verdict, count(*) AS n FROM policy_verification WHERE capture_id = ? GROUP BY verdict
            """, arguments: [captureID])
        guard !verdictRows.isEmpty else { return nil }
        let verdicts = sortVerdicts(verdictRows.map { NamedCount(name: RowText.text($0, "verdict"), count: RowText.int($0, "n")) })
        var endpoints: [String: EndpointVerification] = [:]
        let perEndpoint = try Row.fetchAll(db, sql: """
            SELECT \(col("endpoint_id")) AS ep, \(col("namespace")) AS ns, \(col("pod")) AS pod, verdict, count(*) AS n
            FROM policy_verification WHERE capture_id = ? GROUP BY 1, 2, 3, 4
            """, arguments: [captureID])
        for r in perEndpoint {
            let key = RowText.text(r, "ep") + "\u{0}" + RowText.text(r, "ns") + "\u{0}" + RowText.text(r, "pod")
            let verdict = RowText.text(r, "verdict"), n = RowText.int(r, "n")
            var e = endpoints[key] ?? EndpointVerification(endpointID: RowText.text(r, "ep"), namespace: RowText.text(r, "ns"),
                                                           pod: RowText.text(r, "pod"), verdicts: [], problems: 0)
            e.verdicts.append(NamedCount(name: verdict, count: n))
            if verdict != "match" && verdict != "implicit" { e.problems += n }
            endpoints[key] = e
        }
        let sortedEndpoints = endpoints.values.map { e -> EndpointVerification in
            var e = e
            e.verdicts = sortVerdicts(e.verdicts)
            return e
        }.sorted { ($1.problems, $0.namespace, $0.pod, $0.endpointID) < ($0.problems, $1.namespace, $1.pod, $1.endpointID) }
        let problemFilter = "capture_id = ? AND verdict NOT IN ('match', 'implicit')"
        let problemTotal = try Int.fetchOne(db, sql: "SELECT count(*) FROM policy_verification WHERE \(problemFilter)",
                                            arguments: [captureID]) ?? 0
        let rank = "CASE verdict " + verdictOrder.enumerated().map { "WHEN '\($0.element)' THEN \($0.offset)" }.joined(separator: " ") + " ELSE 9 END"
        let problems = try Row.fetchAll(db, sql: """
            SELECT \(col("endpoint_id")) AS ep, \(col("namespace")) AS ns, \(col("pod")) AS pod, \(col("direction")) AS dir,
                   \(col("identity")) AS identity, \(col("protocol")) AS proto, \(col("port")) AS port,
                   \(col("expected")) AS expected, \(col("enforced")) AS enforced, verdict, \(col("policies")) AS policies
            FROM policy_verification WHERE \(problemFilter) ORDER BY \(rank), ns, pod, ep, \(col("seq")) LIMIT ?
            """, arguments: [captureID, limit]).map { r in
            PolicyProblem(endpointID: RowText.text(r, "ep"), namespace: RowText.text(r, "ns"), pod: RowText.text(r, "pod"),
                          direction: RowText.text(r, "dir"), identity: RowText.text(r, "identity"), proto: RowText.text(r, "proto"),
                          port: RowText.text(r, "port"), expected: RowText.text(r, "expected"), enforced: RowText.text(r, "enforced"),
                          verdict: RowText.text(r, "verdict"), policies: RowText.text(r, "policies"))
        }
        return PolicyVerificationReport(verdicts: verdicts, endpoints: Array(sortedEndpoints.prefix(limit)),
                                        endpointTotal: sortedEndpoints.count, problems: problems, problemTotal: problemTotal)
    }

    static func sortVerdicts(_ v: [NamedCount]) -> [NamedCount] {
        v.sorted { (verdictOrder.firstIndex(of: $0.name) ?? 99, $0.name) < (verdictOrder.firstIndex(of: $1.name) ?? 99, $1.name) }
    }

    /// Control statuses and check outcomes per capture, for the trend chart.
    static func trend(_ db: Database, captures: [CaptureSummary]) throws -> [TrendPoint] {
        var points: [TrendPoint] = []
        for c in captures {
            var point = TrendPoint(captureID: c.id, startedAt: c.startedAt, items: c.itemCount, errors: c.errorCount,
                                   evaluated: false, statuses: [], pass: 0, fail: 0)
            if let e = try ReportLoader.evaluation(db, captureID: c.id) {
                point.evaluated = true
                var counts: [String: Int] = [:]
                for r in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM control_result WHERE evaluation_id = ? GROUP BY status",
                                          arguments: [e.id]) {
                    counts[RowText.text(r, "status")] = RowText.int(r, "n")
                }
                point.statuses = StatusVocabulary.order.compactMap { s in counts[s].map { NamedCount(name: s, count: $0) } }
                    + counts.keys.filter { !StatusVocabulary.order.contains($0) }.sorted().map { NamedCount(name: $0, count: counts[$0]!) }
                for r in try Row.fetchAll(db, sql: """
                    SELECT status, count(*) AS n FROM check_result WHERE evaluation_id = ? AND status IN ('pass', 'fail') GROUP BY status
                    """, arguments: [e.id]) {
                    if RowText.text(r, "status") == "pass" { point.pass = RowText.int(r, "n") } else { point.fail = RowText.int(r, "n") }
                }
            }
            points.append(point)
        }
        return points
    }
}
