import Foundation
import VouchCore

extension OSCALWriter {
    /// The assessment-plan the results import: what is assessed, and how (one activity per check).
    ///
    /// There is no OSCAL system security plan for the estate, so `import-ssp` points at a
    /// back-matter resource describing the system under assessment (the documented way to
    /// reference a document that is not OSCAL).
    public func assessmentPlan() -> String {
        var w = XMLWriter()
        let system = uuid("system")
        w.open("assessment-plan", ["uuid": uuid("assessment-plan"), "xmlns": "http://csrc.nist.gov/ns/oscal/1.0"])
        metadata(&w, title: "ISO/IEC 27001:2022 assessment plan for \(organisation)")
        w.empty("import-ssp", ["href": "#" + system])
        let planned = checks
        if !planned.isEmpty || model.controls.contains(where: { $0.attestation != nil || $0.status.hasPrefix("manual") }) {
            w.open("local-definitions")
            for k in planned { activity(&w, check: k) }
            let manual = model.controls.filter { $0.applicable && ($0.attestation != nil || $0.status.hasPrefix("manual")) }
            if !manual.isEmpty { attestationActivity(&w, manual) }
            w.close()
        }
        reviewedControls(&w, description: "The ISO/IEC 27001:2022 Annex A controls, except those the Statement of Applicability excludes.")
        w.open("assessment-subject", ["type": "component"])
        w.prose("description", [model.scope.map { "In scope: \($0)" } ?? "The estate whose declared and live state the evidence sources capture."])
        w.empty("include-all")
        w.close()
        w.open("back-matter")
        w.open("resource", ["uuid": system])
        w.leaf("title", SafeMarkup.oneLine("System under assessment: \(model.scope ?? organisation)"))
        w.prose("description", ["Operated by \(organisation). Evidence sources: "
            + model.sources.map { "\($0.source)=\($0.target)" }.joined(separator: ", ") + "."])
        w.close()
        w.close()
        w.close()
        return w.out
    }

    /// The controls each check gives evidence for.
    var controlsByCheck: [String: [String]] {
        var out: [String: [String]] = [:]
        for c in model.controls { for k in c.checks { out[k.id, default: []].append(c.id) } }
        return out
    }

    private func activity(_ w: inout XMLWriter, check k: CheckReport) {
        w.open("activity", ["uuid": uuid("activity", "check", k.id)])
        w.leaf("title", SafeMarkup.oneLine("Automated check \(k.id)"))
        w.prose("description", ["Vouch runs the check's SQL over the facts of each sealed capture and records one result per resource."])
        w.prop("method", "TEST", ns: nil)
        let controls = controlsByCheck[k.id] ?? []
        if !controls.isEmpty {
            w.open("related-controls")
            w.open("control-selection")
            for c in controls { w.empty("include-control", ["control-id": Self.controlToken(c)]) }
            w.close()
            w.close()
        }
        w.close()
    }

    private func attestationActivity(_ w: inout XMLWriter, _ controls: [ControlReport]) {
        w.open("activity", ["uuid": uuid("activity", "attestation")])
        w.leaf("title", "Review of manual attestations")
        w.prose("description", ["Controls without automatable evidence are attested by their owners in the profile; the assessor "
            + "examines each statement, its owner, date and review date."])
        w.prop("method", "EXAMINE", ns: nil)
        w.open("related-controls")
        w.open("control-selection")
        for c in controls { w.empty("include-control", ["control-id": Self.controlToken(c.id)]) }
        w.close()
        w.close()
        w.close()
    }
}
