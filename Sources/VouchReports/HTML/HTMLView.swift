import Foundation
import VouchCore

/// Turns a `ReportModel` into the mustache context of `templates/report.mustache`:
/// every string cleaned (control characters shown visibly; mustache escapes the markup),
/// big lists summarized (top rows per check with counts, never one huge table).
struct HTMLView {
    let model: ReportModel
    var resultsPerCheck = 8
    var evidencePerControl = 10
    var driftRows = 60
    var problemRows = 50

    typealias Context = [String: Any]

    private func s(_ text: String?) -> String { SafeMarkup.clean(text ?? "") }
    private func short(_ hash: String) -> String { String(hash.prefix(16)) }
    /// A count for a mustache section: zero is `false` (mustache treats the number 0 as true).
    private func pos(_ n: Int) -> Any { n > 0 ? n : false }
    static func cssClass(_ status: String) -> String {
        String(status.lowercased().unicodeScalars.map { CharacterSet.lowercaseLetters.contains($0) && $0.isASCII ? Character($0) : "_" })
    }

    func context() -> Context {
        let m = model
        let applicable = m.controls.filter(\.applicable)
        let satisfied = applicable.filter { StatusVocabulary.isSatisfied($0.status) }.count
        let failingChecks = Set(m.controls.flatMap { $0.checks.filter { $0.counts.fail > 0 }.map(\.id) }).count
        var c: Context = [
            "title": "ISO/IEC 27001:2022 evidence report",
            "organisation": s(m.organisation ?? "Organisation not stated in the profile"),
            "scope": s(m.scope ?? "Scope not stated in the profile"),
            "periodStart": s(m.periodStart), "periodEnd": s(m.periodEnd),
            "generatedAt": s(m.generatedAt), "toolVersion": s(m.toolVersion),
            "capture": capture(m.capture),
            "history": m.history.reversed().map(capture),
            "sources": m.sources.map { ["source": s($0.source), "target": s($0.target), "status": s($0.status),
                                        "statusClass": Self.cssClass($0.status), "items": $0.itemCount, "errors": $0.errorCount] as Context },
            "evaluated": m.evaluation != nil,
            "trendChart": Charts.trend(m.trend),
            "kpis": [
                ["label": "Applicable controls satisfied", "value": m.evaluation == nil ? "—" : "\(satisfied) / \(applicable.count)"],
                ["label": "Checks with failures", "value": m.evaluation == nil ? "—" : String(failingChecks)],
                ["label": "Evidence items", "value": String(m.capture.itemCount)],
                ["label": "Collection errors", "value": String(m.capture.errorCount)],
                ["label": "Changes since previous capture", "value": m.drift.map { String($0.total) } ?? "—"],
            ] as [Context],
        ]
        if let e = m.evaluation {
            c["evaluation"] = ["id": e.id, "evaluatedAt": s(e.evaluatedAt), "catalog": s(e.catalogSHA256),
                               "profile": s(e.profileSHA256 ?? "none"), "toolVersion": s(e.toolVersion)] as Context
            c["themeChart"] = Charts.statusPerTheme(m.controls)
            c["statusCounts"] = m.statusCounts.map { ["label": StatusVocabulary.label($0.name), "count": $0.count,
                                                      "statusClass": Self.cssClass($0.name)] as Context }
            c["attention"] = attention(m.controls)
            c["hasAttention"] = !attention(m.controls).isEmpty
            c["hasNotApplicable"] = m.controls.contains { !$0.applicable }
            let pending = m.controls.filter { $0.applicable && $0.status == "manual_pending" }.count
            if pending > 0 { c["pendingAttestations"] = pending }
            c["soa"] = m.controls.map(soaRow)
            c["controls"] = m.controls.filter(\.applicable).map(control)
            c["notApplicable"] = m.controls.filter { !$0.applicable }.map { ["id": s($0.id), "title": s($0.title),
                                                                           "justification": s($0.justification ?? "no justification given")] as Context }
        }
        if let d = m.drift { c["drift"] = drift(d) }
        if let t = m.timeline { c["timeline"] = timeline(t) }
        if let p = m.policyVerification { c["policy"] = policy(p) }
        c["appendix"] = appendix(m.evidence)
        return c
    }

    private func capture(_ c: CaptureSummary) -> Context {
        ["id": c.id, "startedAt": s(c.startedAt), "finishedAt": s(c.finishedAt), "host": s(c.host), "seal": s(c.seal),
         "prevSeal": s(c.prevSeal), "manifest": s(c.manifestSHA256), "items": c.itemCount, "errors": c.errorCount,
         "toolVersion": s(c.toolVersion), "profile": s(c.profileSHA256 ?? "none"), "sealShort": short(c.seal)]
    }

    private func attention(_ controls: [ControlReport]) -> [Context] {
        // Failing controls first; controls awaiting an attestation are counted, not listed (the SoA lists them).
        controls.filter { $0.applicable && ["not_implemented", "partially_implemented", "no_evidence"].contains($0.status) }
            .sorted { a, b in
                let rank = { (c: ControlReport) in StatusVocabulary.order.firstIndex(of: c.status) ?? 99 }
                let fa = a.failCount + a.errorCount, fb = b.failCount + b.errorCount
                if fa != fb { return fa > fb }
                if rank(a) != rank(b) { return rank(a) < rank(b) }
                return ControlOrder.less(a.id, b.id)
            }
            .prefix(30)
            .map { ["id": s($0.id), "anchor": anchor($0.id), "title": s($0.title), "status": StatusVocabulary.label($0.status),
                    "statusClass": Self.cssClass($0.status), "fail": $0.failCount, "error": $0.errorCount] as Context }
    }

    private func soaRow(_ c: ControlReport) -> Context {
        ["id": s(c.id), "title": s(c.title), "theme": s(c.theme), "applicable": c.applicable ? "Yes" : "No",
         "justification": s(c.justification ?? ""), "status": StatusVocabulary.label(c.status), "statusClass": Self.cssClass(c.status),
         "checks": c.checks.count, "evidence": c.evidenceTotal, "anchor": anchor(c.id), "linked": c.applicable]
    }

    func anchor(_ id: String) -> String { "c-" + Self.cssClass(id) }

    private func control(_ c: ControlReport) -> Context {
        var out: Context = [
            "id": s(c.id), "title": s(c.title), "theme": s(c.theme), "anchor": anchor(c.id),
            "status": StatusVocabulary.label(c.status), "statusClass": Self.cssClass(c.status),
            "justification": s(c.justification ?? ""), "pass": c.passCount, "fail": c.failCount, "error": c.errorCount,
            "checks": c.checks.map(check), "hasChecks": !c.checks.isEmpty,
            "evidence": c.evidence.prefix(evidencePerControl).map(evidence), "evidenceTotal": c.evidenceTotal,
            "evidenceMore": pos(c.evidenceTotal - min(evidencePerControl, c.evidence.count)),
        ]
        if let a = c.attestation {
            out["attestation"] = ["statement": s(a.statement ?? a.raw.canonicalText), "owner": s(a.owner ?? "—"), "date": s(a.date ?? "—"),
                                  "reviewBy": s(a.reviewBy ?? "—"), "evidence": s(a.evidence ?? "—")] as Context
        }
        return out
    }

    private func check(_ k: CheckReport) -> Context {
        let shown = k.results.prefix(resultsPerCheck)
        return [
            "id": s(k.id), "total": k.counts.total, "pass": k.counts.pass, "fail": k.counts.fail, "error": k.counts.error,
            "other": k.counts.skip + k.counts.manual + k.counts.info,
            "results": shown.map { r in
                ["resource": s(r.resource), "status": s(r.status), "statusClass": Self.cssClass(r.status), "reason": s(r.reason),
                 "excepted": r.exception != nil] as Context
            },
            "more": pos(k.results.count - shown.count),
            "exceptions": k.exceptions.map { g in
                ["reason": s(g.exception.reason), "approver": s(g.exception.approver), "expires": s(g.exception.expires),
                 "expired": g.exception.expired, "resources": g.resources, "example": s(g.example)] as Context
            },
        ]
    }

    private func evidence(_ e: EvidenceRef) -> Context {
        ["id": e.id, "kind": s(e.kind), "subject": s(e.subject), "origin": s(e.origin), "collectedAt": s(e.collectedAt),
         "sha256": s(e.sha256), "blob": s(e.blobSHA256 ?? ""), "isError": e.status == "error"]
    }

    private func drift(_ d: DriftReport) -> Context {
        ["from": d.fromCapture, "to": d.toCapture, "added": d.added, "removed": d.removed, "changed": d.changed,
         "none": d.total == 0,
         "kinds": d.byKind.map { ["kind": s($0.kind), "added": $0.added, "removed": $0.removed, "changed": $0.changed] as Context },
         "entries": d.entries.prefix(driftRows).map { e in
             ["change": e.change, "kind": s(e.kind), "subject": s(e.subject), "from": short(e.fromSHA256 ?? ""), "to": short(e.toSHA256 ?? "")] as Context
         },
         "more": pos(d.total - min(driftRows, d.entries.count))]
    }

    private func timeline(_ t: Timeline) -> Context {
        ["total": t.total, "signed": t.signed, "shown": t.commits.count,
         "commits": t.commits.map { ["repo": s($0.repo), "id": s(String($0.id.prefix(12))), "time": s($0.time), "author": s($0.author),
                                     "summary": s($0.summary), "signature": s($0.signature),
                                     "unsigned": $0.signature == "unsigned"] as Context }]
    }

    private func policy(_ p: PolicyVerificationReport) -> Context {
        ["verdicts": p.verdicts.map { ["name": s($0.name), "count": $0.count, "statusClass": Self.cssClass($0.name)] as Context },
         "endpoints": p.endpoints.prefix(problemRows).map { e in
             ["endpoint": s(e.endpointID), "namespace": s(e.namespace), "pod": s(e.pod), "problems": e.problems,
              "verdicts": e.verdicts.map { "\($0.name) \($0.count)" }.joined(separator: ", ")] as Context
         },
         "endpointTotal": p.endpointTotal,
         "problems": p.problems.prefix(problemRows).map { r in
             ["endpoint": s(r.endpointID), "pod": s(r.namespace + "/" + r.pod), "direction": s(r.direction), "identity": s(r.identity),
              "port": s(r.port + "/" + r.proto), "expected": s(r.expected), "enforced": s(r.enforced), "verdict": s(r.verdict),
              "statusClass": Self.cssClass(r.verdict), "policies": s(r.policies)] as Context
         },
         "problemTotal": p.problemTotal, "problemMore": pos(p.problemTotal - min(problemRows, p.problems.count))]
    }

    private func appendix(_ a: EvidenceAppendix) -> Context {
        ["kinds": a.kinds.map { ["source": s($0.source), "kind": s($0.kind), "count": $0.count, "errors": $0.errors] as Context },
         "itemTotal": a.itemTotal, "blobCount": a.blobCount, "blobBytes": a.blobBytes,
         "errors": a.errors.map(evidence), "errorTotal": a.errorTotal, "errorMore": pos(a.errorTotal - a.errors.count),
         "cited": a.cited.count]
    }
}
