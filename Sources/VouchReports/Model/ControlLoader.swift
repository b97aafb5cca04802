import Foundation
import GRDB
import VouchCore

/// Reads one evaluation's controls, check results, exceptions and cited evidence.
struct ControlLoader {
    let db: Database
    let captureID: Int64
    let evaluationID: Int64
    let options: ReportOptions

    func load() throws -> (controls: [ControlReport], cited: [EvidenceRef]) {
        let checks = try loadChecks()
        var controls: [ControlReport] = []
        var citedIDs = Set<Int64>()
        var perControlIDs: [[Int64]] = []
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM control_result WHERE evaluation_id = ?", arguments: [evaluationID])
        for r in rows {
            let checkIDs = (try? JSONValue.parse(RowText.text(r, "checks")))?.arrayValue?.compactMap(\.stringValue) ?? []
            let reports = checkIDs.map { checks.reports[$0] ?? CheckReport(id: $0, counts: StatusCounts(), results: [], exceptions: []) }
            var ids = Set<Int64>()
            for c in checkIDs { ids.formUnion(checks.evidence[c] ?? []) }
            citedIDs.formUnion(ids)
            perControlIDs.append(ids.sorted())
            controls.append(ControlReport(
                id: RowText.text(r, "control_id"), title: RowText.text(r, "title"), theme: RowText.text(r, "theme"),
                applicable: RowText.int(r, "applicable") != 0, justification: RowText.optionalText(r, "justification"),
                status: RowText.text(r, "status"), attestation: RowText.optionalText(r, "attestation").flatMap(Self.attestation),
                checks: reports, passCount: RowText.int(r, "pass_count"), failCount: RowText.int(r, "fail_count"),
                errorCount: RowText.int(r, "error_count"), evidence: [], evidenceTotal: ids.count))
        }
        let cited = try Self.evidenceRefs(db, captureID: captureID, ids: citedIDs.sorted())
        let byID = Dictionary(uniqueKeysWithValues: cited.map { ($0.id, $0) })
        for i in controls.indices {
            controls[i].evidence = perControlIDs[i].prefix(options.evidencePerControl).compactMap { byID[$0] }
        }
        let order = controls.indices.sorted { ControlOrder.less(controls[$0].id, controls[$1].id) }
        return (order.map { controls[$0] }, cited)
    }

    /// Every check's results (failures first), exceptions grouped, and the evidence ids they cite.
    private func loadChecks() throws -> (reports: [String: CheckReport], evidence: [String: Set<Int64>]) {
        var reports: [String: CheckReport] = [:]
        var evidence: [String: Set<Int64>] = [:]
        var exceptionCache: [String: ExceptionInfo?] = [:]
        var groups: [String: [ExceptionInfo: (count: Int, example: String)]] = [:]
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT check_id, resource, status, reason, severity, exception, evidence FROM check_result
            WHERE evaluation_id = ?
            ORDER BY check_id, CASE status WHEN 'fail' THEN 0 WHEN 'error' THEN 1 WHEN 'manual' THEN 2 WHEN 'skip' THEN 3
                                           WHEN 'info' THEN 4 ELSE 5 END, resource, id
            """, arguments: [evaluationID])
        while let r = try cursor.next() {
            let check = RowText.text(r, 0)
            let status = RowText.text(r, 2)
            var exception: ExceptionInfo?
            if let text = RowText.optionalText(r, "exception") {
                if let cached = exceptionCache[text] { exception = cached } else {
                    exception = Self.exception(text)
                    exceptionCache[text] = exception
                }
            }
            let ids = RowText.idList(RowText.text(r, 6))
            if !ids.isEmpty { evidence[check, default: []].formUnion(ids) }
            let row = ResultRow(resource: RowText.text(r, 1), status: status, reason: RowText.text(r, 3),
                                severity: RowText.optionalText(r, "severity"), exception: exception, evidence: ids)
            if let exception {
                let prior = groups[check, default: [:]][exception]
                groups[check, default: [:]][exception] = ((prior?.count ?? 0) + 1, prior?.example ?? row.resource)
            }
            reports[check, default: CheckReport(id: check, counts: StatusCounts(), results: [], exceptions: [])].counts.add(status)
            reports[check]!.results.append(row)
        }
        for (check, g) in groups {
            reports[check]?.exceptions = g.map { ExceptionGroup(exception: $0.key, resources: $0.value.count, example: $0.value.example) }
                .sorted { ($0.exception.expires, $0.exception.reason, $0.example) < ($1.exception.expires, $1.exception.reason, $1.example) }
        }
        return (reports, evidence)
    }

    /// Evidence items by id, as the capture holds them (items cited from elsewhere still resolve, without a time).
    static func evidenceRefs(_ db: Database, captureID: Int64, ids: [Int64]) throws -> [EvidenceRef] {
        guard !ids.isEmpty else { return [] }
        var out: [Int64: EvidenceRef] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let list = chunk.map(String.init).joined(separator: ",")
            let rows = try Row.fetchAll(db, sql: """
                SELECT i.id, i.source, i.kind, i.subject, i.origin, i.sha256, i.blob_sha256, i.status,
                       (SELECT min(cs.started_at) FROM item_set_member m JOIN capture_source cs ON cs.set_id = m.set_id
                         WHERE m.item_id = i.id AND cs.capture_id = ?) AS collected_at
                FROM item i WHERE i.id IN (\(list))
                """, arguments: [captureID])
            for r in rows {
                let id: Int64 = r["id"]
                out[id] = EvidenceRef(id: id, source: RowText.text(r, "source"), kind: RowText.text(r, "kind"),
                                      subject: RowText.text(r, "subject"), origin: RowText.text(r, "origin"),
                                      collectedAt: RowText.text(r, "collected_at"), sha256: RowText.text(r, "sha256"),
                                      blobSHA256: RowText.optionalText(r, "blob_sha256"), status: RowText.text(r, "status"))
            }
        }
        return ids.compactMap { out[$0] }
    }

    static func exception(_ text: String) -> ExceptionInfo? {
        guard let v = try? JSONValue.parse(text), v.objectValue != nil else { return nil }
        func s(_ k: String) -> String { v[k]?.stringValue ?? v[k].map { $0.canonicalText } ?? "" }
        return ExceptionInfo(reason: s("reason"), approver: s("approver"), expires: s("expires"),
                             expired: v["expired"]?.boolValue ?? (v["expired"]?.intValue ?? 0 != 0))
    }

    static func attestation(_ text: String) -> Attestation? {
        guard let v = try? JSONValue.parse(text), v != .null else { return nil }
        func s(_ keys: String...) -> String? {
            for k in keys { if let x = v[k] { return x.stringValue ?? x.canonicalText } }
            return nil
        }
        return Attestation(statement: s("statement", "text"), owner: s("owner", "attested_by", "by"), date: s("date", "attested_at"),
                           reviewBy: s("review_by", "reviewBy", "review"), evidence: s("evidence", "evidence_link", "link"), raw: v)
    }
}
