import Foundation
import VouchCore

/// Drift as SARIF 2.1.0: one run of the `vouch` tool, one rule per kind of drift, one result per finding.
/// Results carry a partial fingerprint of what they are about (not of the values), so code-scanning
/// services track one finding across runs.
public enum DriftSARIF {
    struct Rule {
        var id: String
        var name: String
        var text: String
        var level: String
    }

    static let rules: [Rule] = [
        Rule(id: "vouch/drift/item-added", name: "ItemAdded", text: "An evidence item appeared since the earlier capture.", level: "warning"),
        Rule(id: "vouch/drift/item-removed", name: "ItemRemoved", text: "An evidence item disappeared since the earlier capture.", level: "warning"),
        Rule(id: "vouch/drift/item-changed", name: "ItemChanged", text: "An evidence item's content changed since the earlier capture.", level: "warning"),
        Rule(id: "vouch/drift/check-regression", name: "CheckRegression", text: "A check that passed now fails.", level: "error"),
        Rule(id: "vouch/drift/check-new-failure", name: "CheckNewFailure", text: "A check fails on a resource it did not report before.", level: "error"),
        Rule(id: "vouch/drift/check-fixed", name: "CheckFixed", text: "A check that failed now passes.", level: "note"),
        Rule(id: "vouch/drift/check-changed", name: "CheckChanged", text: "A check result's status changed.", level: "warning"),
        Rule(id: "vouch/drift/talos-declared-vs-running", name: "TalosDeclaredVsRunning",
             text: "A node runs a Talos setting that differs from its declared machine config.", level: "error"),
        Rule(id: "vouch/check/failing", name: "CheckFailing", text: "A check fails or errs in the newer capture.", level: "error"),
    ]

    public static func render(_ r: DriftResult, options: DriftRenderOptions = DriftRenderOptions()) -> String {
        document(r, options: options).canonicalText + "\n"
    }

    public static func document(_ r: DriftResult, options: DriftRenderOptions = DriftRenderOptions()) -> JSONValue {
        var results: [JSONValue] = []
        let index = Dictionary(uniqueKeysWithValues: rules.enumerated().map { ($1.id, $0) })
        func result(_ ruleID: String, kind: String = "fail", message: String, origin: String?, logical: String,
                    fingerprint: String, properties: [String: JSONValue]) {
            let rule = rules[index[ruleID]!]
            var location: [String: JSONValue] = [
                "logicalLocations": [["name": .string(logical), "kind": "resource"]],
            ]
            if let origin, let uri = uri(origin, options) {
                location["physicalLocation"] = ["artifactLocation": ["uri": .string(uri)]]
            }
            results.append([
                "ruleId": .string(ruleID), "ruleIndex": .int(Int64(index[ruleID]!)), "kind": .string(kind),
                "level": .string(kind == "pass" ? "none" : rule.level), "message": ["text": .string(message)],
                "locations": [.object(location)],
                "partialFingerprints": ["vouchFinding/v1": .string(Hashing.sha256Hex(ruleID + "\u{0}" + fingerprint))],
                "properties": .object(properties),
            ])
        }
        for i in r.items {
            let fields = i.fields.prefix(options.fieldLimit).map { "\($0.path): \(DriftText.value($0.old)) → \(DriftText.value($0.new))" }
            result("vouch/drift/item-\(i.change.rawValue)",
                   message: "\(i.kind) \(DriftText.oneLine(i.subject)) was \(i.change.rawValue)" + (fields.isEmpty ? "." : ": " + fields.joined(separator: "; ")),
                   origin: i.origin, logical: "\(i.kind):\(i.subject)", fingerprint: "\(i.kind)\u{0}\(i.subject)\u{0}\(i.target)",
                   properties: ["kind": .string(i.kind), "subject": .string(i.subject), "source": .string(i.source),
                                "fields": .array(i.fields.map(DriftJSON.field))])
        }
        for t in r.checks {
            let rule: String
            switch t.kind {
            case .regression: rule = "vouch/drift/check-regression"
            case .newFailure: rule = "vouch/drift/check-new-failure"
            case .fix: rule = "vouch/drift/check-fixed"
            case .changed: rule = "vouch/drift/check-changed"
            }
            result(rule, kind: t.kind == .fix ? "pass" : "fail", message: DriftText.transitionLine(t), origin: nil,
                   logical: "\(t.checkID):\(t.resource)", fingerprint: "\(t.checkID)\u{0}\(t.resource)",
                   properties: ["check_id": .string(t.checkID), "controls": .array(t.controls.map { .string($0) })])
        }
        for d in r.talos {
            result("vouch/drift/talos-declared-vs-running", message: DriftText.talosLine(d), origin: d.declaredOrigin,
                   logical: "talos:\(d.node):\(d.path)", fingerprint: "\(d.node)\u{0}\(d.document)\u{0}\(d.path)",
                   properties: ["node": .string(d.node), "running_origin": .string(d.runningOrigin)])
        }
        if options.includeFailing {
            for s in r.failing {
                result("vouch/check/failing", message: "\(s.checkID) \(DriftText.oneLine(s.resource)): \(s.status) — \(DriftText.oneLine(s.reason))",
                       origin: nil, logical: "\(s.checkID):\(s.resource)", fingerprint: "\(s.checkID)\u{0}\(s.resource)",
                       properties: ["check_id": .string(s.checkID), "controls": .array(s.controls.map { .string($0) })])
            }
        }
        let driver: JSONValue = [
            "name": "vouch", "version": .string(VouchVersion.current),
            "rules": .array(rules.map { rule in
                [
                    "id": .string(rule.id), "name": .string(rule.name), "shortDescription": ["text": .string(rule.text)],
                    "defaultConfiguration": ["level": .string(rule.level)],
                ]
            }),
        ]
        var properties: [String: JSONValue] = ["to_capture": .int(r.to.id), "to_seal": .string(r.to.seal)]
        if let from = r.from { properties["from_capture"] = .int(from.id); properties["from_seal"] = .string(from.seal) }
        return [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [[
                "tool": ["driver": driver],
                "automationDetails": ["id": "vouch/drift/"],
                "results": .array(results),
                "properties": .object(properties),
            ]],
        ]
    }

    /// A URI reference for a file origin (relative to the pipeline's checkout when it is under it);
    /// nil for origins that are commands or API calls.
    static func uri(_ origin: String, _ options: DriftRenderOptions) -> String? {
        guard origin.hasPrefix("/") else { return nil }
        let rel = DriftText.relative(origin, options)
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ";?#[]")
        guard let encoded = rel.addingPercentEncoding(withAllowedCharacters: allowed) else { return nil }
        return rel.hasPrefix("/") ? "file://" + encoded : encoded
    }
}
