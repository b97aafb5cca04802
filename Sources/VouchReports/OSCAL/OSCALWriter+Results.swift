import Foundation
import VouchCore

extension OSCALWriter {
    /// The assessment-results document (one `result` for the capture).
    public func assessmentResults() -> String {
        var w = XMLWriter(capacity: 4096 + model.evidence.cited.count * 900)
        w.open("assessment-results", ["uuid": uuid("assessment-results"), "xmlns": "http://csrc.nist.gov/ns/oscal/1.0"])
        metadata(&w, title: "ISO/IEC 27001:2022 assessment results for \(organisation), capture \(model.capture.id)")
        w.empty("import-ap", ["href": Self.planFileName])
        result(&w)
        backMatter(&w)
        w.close()
        return w.out
    }

    /// The checks the controls use, each once, in id order.
    var checks: [CheckReport] {
        var seen: [String: CheckReport] = [:]
        for c in model.controls { for k in c.checks where seen[k.id] == nil { seen[k.id] = k } }
        return seen.keys.sorted().map { seen[$0]! }
    }

    func checkObservationUUID(_ id: String) -> String { uuid("observation", "check", id) }
    func attestationObservationUUID(_ id: String) -> String { uuid("observation", "attestation", id) }

    private func result(_ w: inout XMLWriter) {
        let c = model.capture
        w.open("result", ["uuid": uuid("result")])
        w.leaf("title", "Capture \(c.id) of \(c.host)")
        var about = ["Evidence captured on \(c.host) from \(c.startedAt) to \(c.finishedAt): \(c.itemCount) items, \(c.errorCount) errors."]
        if let e = model.evaluation {
            about.append("Evaluated at \(e.evaluatedAt) against the control catalog sha256:\(e.catalogSHA256).")
        } else {
            about.append("This capture was not evaluated: the observations list the evidence collected, and no finding is made.")
        }
        w.prose("description", about)
        w.leaf("start", dateTime(c.startedAt))
        w.leaf("end", dateTime(c.finishedAt))
        w.prop("capture-id", String(c.id))
        w.prop("capture-seal", c.seal)
        if let e = model.evaluation {
            w.prop("evaluation-id", String(e.id))
            w.prop("catalog-sha256", e.catalogSHA256)
        }
        reviewedControls(&w, description: "The ISO/IEC 27001:2022 Annex A controls, except those the Statement of Applicability excludes.")
        if model.evaluation != nil {
            let refs = Dictionary(model.evidence.cited.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            for k in checks { checkObservation(&w, k, refs) }
            for control in model.controls {
                if let a = control.attestation { attestationObservation(&w, control, a) }
            }
            for control in model.controls where control.applicable { finding(&w, control) }
        } else {
            for s in model.sources { sourceObservation(&w, s) }
        }
        w.close()
    }

    private func checkObservation(_ w: inout XMLWriter, _ k: CheckReport, _ refs: [Int64: EvidenceRef]) {
        let n = k.counts
        w.open("observation", ["uuid": checkObservationUUID(k.id)])
        w.leaf("title", SafeMarkup.oneLine("Check \(k.id)"))
        w.prose("description", ["The check \(k.id) ran over the captured facts: \(n.total) results — \(n.pass) pass, \(n.fail) fail, "
            + "\(n.error) error, \(n.skip) skip, \(n.manual) manual, \(n.info) info."])
        for (name, value) in [("pass-count", n.pass), ("fail-count", n.fail), ("error-count", n.error)] {
            w.prop(name, String(value))
        }
        w.leaf("method", n.total > 0 && n.manual == n.total ? "EXAMINE" : "TEST")
        var ids = Set<Int64>()
        for r in k.results { ids.formUnion(r.evidence) }
        for id in ids.sorted() {
            guard let e = refs[id] else { continue }
            w.open("relevant-evidence", ["href": "#" + evidenceUUID(e)])
            w.prose("description", ["\(e.kind) \(e.subject) from \(e.origin)"])
            w.prop("item-sha256", e.sha256)
            w.close()
        }
        w.leaf("collected", dateTime(model.capture.startedAt))
        let failing = k.results.filter { $0.status == "fail" || $0.status == "error" }
        if !failing.isEmpty {
            var lines = failing.prefix(50).map { "\($0.status): \($0.resource) — \($0.reason)" }
            if failing.count > 50 { lines.append("… and \(failing.count - 50) more (see the JSON report).") }
            w.prose("remarks", lines)
        }
        w.close()
    }

    private func attestationObservation(_ w: inout XMLWriter, _ c: ControlReport, _ a: Attestation) {
        w.open("observation", ["uuid": attestationObservationUUID(c.id)])
        w.leaf("title", SafeMarkup.oneLine("Attestation for \(c.id)"))
        w.prose("description", [a.statement ?? a.raw.canonicalText])
        if let owner = a.owner { w.prop("owner", owner) }
        if let review = a.reviewBy { w.prop("review-by", review) }
        w.leaf("method", "EXAMINE")
        if let link = a.evidence, !SafeMarkup.oneLine(link).isEmpty {
            w.open("relevant-evidence", ["href": SafeMarkup.oneLine(link)])
            w.prose("description", ["Evidence named by the attestation."])
            w.close()
        }
        w.leaf("collected", dateTime(a.date))
        w.close()
    }

    private func sourceObservation(_ w: inout XMLWriter, _ s: SourceSummary) {
        w.open("observation", ["uuid": uuid("observation", "source", s.source, s.target)])
        w.leaf("title", SafeMarkup.oneLine("Evidence from \(s.source)=\(s.target)"))
        w.prose("description", ["\(s.itemCount) items collected, \(s.errorCount) errors (status \(s.status))."])
        w.leaf("method", "EXAMINE")
        w.open("relevant-evidence", ["href": captureFile])
        w.prose("description", ["The capture's evidence items as JSON Lines."])
        w.close()
        w.leaf("collected", dateTime(model.capture.startedAt))
        w.close()
    }

    private func finding(_ w: inout XMLWriter, _ c: ControlReport) {
        w.open("finding", ["uuid": uuid("finding", c.id)])
        w.leaf("title", SafeMarkup.oneLine("\(c.id) \(c.title)"))
        w.prose("description", ["\(StatusVocabulary.label(c.status)): \(c.checks.count) checks, \(c.passCount) pass, "
            + "\(c.failCount) fail, \(c.errorCount) error."])
        w.prop("control-status", c.status)
        w.prop("theme", c.theme)
        w.open("target", ["type": "objective-id", "target-id": Self.controlToken(c.id)])
        let satisfied = StatusVocabulary.isSatisfied(c.status)
        let reason = satisfied ? "pass" : (c.failCount > 0 || c.status == "not_implemented" ? "fail" : "other")
        w.empty("status", ["state": satisfied ? "satisfied" : "not-satisfied", "reason": reason])
        if let state = Self.implementationState(c.status) { w.empty("implementation-status", ["state": state]) }
        w.close()
        for k in c.checks { w.empty("related-observation", ["observation-uuid": checkObservationUUID(k.id)]) }
        if c.attestation != nil { w.empty("related-observation", ["observation-uuid": attestationObservationUUID(c.id)]) }
        w.close()
    }

    static func implementationState(_ status: String) -> String? {
        switch status {
        case "implemented", "manual_attested": return "implemented"
        case "partially_implemented": return "partial"
        case "not_applicable": return "not-applicable"
        default: return nil
        }
    }
}
