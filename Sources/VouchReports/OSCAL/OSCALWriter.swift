import Foundation
import VouchCore

/// Writes the OSCAL 1.2.1 assessment-results and the assessment-plan it imports.
///
/// Element order follows the NIST XSD sequences exactly (XML is order-sensitive).
/// Every UUID is derived from the capture seal, the evaluation and the object's own id,
/// so re-rendering the same store gives the same document.
public struct OSCALWriter {
    /// The namespace of Vouch's own `prop` names.
    public static let namespace = "urn:vouch:oscal"
    public static let oscalVersion = "1.2.1"
    /// The file name the assessment results import the plan from.
    public static let planFileName = "assessment-plan.xml"

    let model: ReportModel

    public init(model: ReportModel) { self.model = model }

    /// The seed of every UUID in these documents.
    var seed: String { model.capture.seal + "/" + (model.evaluation.map { String($0.id) } ?? "unevaluated") }

    func uuid(_ parts: String...) -> String { StableUUID.make(parts: [seed] + parts) }

    /// An Annex A id as an OSCAL token (`A.5.1` → `a.5.1`).
    static func controlToken(_ id: String) -> String {
        var out = ""
        for u in id.lowercased().unicodeScalars {
            let ok = CharacterSet.alphanumerics.contains(u) || u == "." || u == "-" || u == "_"
            out.unicodeScalars.append(ok && u.isASCII ? u : "_")
        }
        if let first = out.unicodeScalars.first, !CharacterSet.letters.contains(first), first != "_" { out = "_" + out }
        return out.isEmpty ? "_" : out
    }

    /// A timestamp the XSD accepts (with a time zone), or the capture's start.
    func dateTime(_ text: String?) -> String {
        if let text, let d = Timestamp.parse(text) { return Timestamp.string(d) }
        return model.capture.startedAt
    }

    var organisation: String { SafeMarkup.oneLine(model.organisation ?? "").isEmpty ? "the organisation" : model.organisation! }

    func metadata(_ w: inout XMLWriter, title: String) {
        w.open("metadata")
        w.leaf("title", SafeMarkup.oneLine(title))
        w.leaf("last-modified", dateTime(model.generatedAt))
        w.leaf("version", "capture-\(model.capture.id)" + (model.evaluation.map { "-evaluation-\($0.id)" } ?? ""))
        w.leaf("oscal-version", Self.oscalVersion)
        w.prop("tool", "vouch " + model.toolVersion)
        w.prop("capture-seal", model.capture.seal)
        w.open("role", ["id": "assessor"])
        w.leaf("title", "Assessor")
        w.close()
        w.open("party", ["uuid": uuid("party", organisation), "type": "organization"])
        w.leaf("name", SafeMarkup.oneLine(organisation))
        w.close()
        w.close()
    }

    /// Not-applicable controls are excluded; everything else in the catalog is reviewed.
    func reviewedControls(_ w: inout XMLWriter, description: String) {
        w.open("reviewed-controls")
        w.prose("description", [description])
        w.open("control-selection")
        w.empty("include-all")
        for c in model.controls where !c.applicable {
            w.empty("exclude-control", ["control-id": Self.controlToken(c.id)])
        }
        w.close()
        w.close()
    }

    /// Back-matter: the capture and every cited evidence item, with hashes.
    func backMatter(_ w: inout XMLWriter) {
        w.open("back-matter")
        captureResource(&w)
        for e in model.evidence.cited { evidenceResource(&w, e) }
        w.close()
    }

    var captureFile: String { "evidence/capture-\(model.capture.id).jsonl" }

    func captureResource(_ w: inout XMLWriter) {
        let c = model.capture
        w.open("resource", ["uuid": uuid("capture", String(c.id))])
        w.leaf("title", "Capture \(c.id) taken on \(c.host) at \(c.startedAt)")
        w.prose("description", ["The sealed capture: \(c.itemCount) evidence items, \(c.errorCount) errors. Its seal chains "
            + "to the previous capture; `vouch verify` recomputes it from the store or the bundle."])
        w.prop("capture-id", String(c.id))
        w.prop("seal", c.seal)
        w.prop("previous-seal", c.prevSeal)
        w.prop("manifest-sha256", c.manifestSHA256)
        w.empty("rlink", ["href": captureFile, "media-type": "application/jsonl"])
        w.close()
    }

    func evidenceUUID(_ e: EvidenceRef) -> String { uuid("evidence", e.sha256) }

    func evidenceResource(_ w: inout XMLWriter, _ e: EvidenceRef) {
        w.open("resource", ["uuid": evidenceUUID(e)])
        w.leaf("title", SafeMarkup.oneLine("\(e.kind) \(e.subject)"))
        w.prose("description", ["Evidence item \(e.id) of source \(e.source), from \(e.origin)"
            + (e.collectedAt.isEmpty ? "" : ", collected at \(e.collectedAt)") + "."])
        w.prop("item-id", String(e.id))
        w.prop("item-sha256", e.sha256)
        w.prop("kind", e.kind)
        if let blob = e.blobSHA256 {
            w.open("rlink", ["href": "blobs/\(blob)"])
            w.leaf("hash", blob, ["algorithm": "SHA-256"])
            w.close()
        } else {
            w.empty("rlink", ["href": captureFile, "media-type": "application/jsonl"])
        }
        w.close()
    }
}
