import Foundation
import VouchCore

/// The formats `vouch drift` and `vouch ci` write.
public enum DriftFormat: String, Sendable, CaseIterable {
    case text, json, junit, sarif, github, markdown

    /// The file name `vouch ci --out DIR` uses.
    public var fileName: String {
        switch self {
        case .text: return "drift.txt"
        case .json: return "drift.json"
        case .junit: return "drift.junit.xml"
        case .sarif: return "drift.sarif"
        case .github: return "drift.github.txt"
        case .markdown: return "drift.md"
        }
    }
}

/// How a drift result is rendered.
public struct DriftRenderOptions: Sendable {
    /// Origins under this folder are shown relative to it (a pipeline's checkout).
    public var baseDirectory: String?
    /// Also list the checks failing in the newer capture (for `vouch ci --fail-on failures`).
    public var includeFailing: Bool
    /// At most this many field differences per item in text formats.
    public var fieldLimit: Int

    public init(baseDirectory: String? = nil, includeFailing: Bool = false, fieldLimit: Int = 20) {
        self.baseDirectory = baseDirectory
        self.includeFailing = includeFailing
        self.fieldLimit = fieldLimit
    }
}

/// Renders a drift result in any format.
public enum DriftRenderer {
    public static func render(_ r: DriftResult, format: DriftFormat, options: DriftRenderOptions = DriftRenderOptions()) -> String {
        switch format {
        case .text: return DriftText.render(r, options: options)
        case .json: return DriftJSON.document(r).canonicalText + "\n"
        case .junit: return DriftJUnit.render(r, options: options)
        case .sarif: return DriftSARIF.render(r, options: options)
        case .github: return DriftGitHub.annotations(r, options: options)
        case .markdown: return DriftMarkdown.render(r, options: options)
        }
    }
}

/// Small text helpers the renderers share.
enum DriftText {
    /// A value for one line: canonical JSON, long values cut (a fingerprint stays whole).
    static func value(_ v: JSONValue?, limit: Int = 120) -> String {
        guard let v else { return "(absent)" }
        let text = oneLine(v.canonicalText)
        guard text.count > limit else { return text }
        return String(text.prefix(limit)) + "…(\(text.count) chars)"
    }

    /// Control characters would garble a terminal, an annotation or a table: shown escaped.
    static func oneLine(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            if u == "\n" { out += "\\n" } else if u == "\t" { out += "\\t" }
            else if u.value < 0x20 || u.value == 0x7F { out += String(format: "\\x%02X", u.value) }
            else { out.unicodeScalars.append(u) }
        }
        return out
    }

    static func relative(_ origin: String, _ options: DriftRenderOptions) -> String {
        guard let base = options.baseDirectory?.trimmingCharacters(in: CharacterSet(charactersIn: "/")), !base.isEmpty,
              origin.hasPrefix("/" + base + "/") else { return origin }
        return String(origin.dropFirst(base.count + 2))
    }

    static func captureLine(_ c: CaptureRef) -> String {
        "capture \(c.id) (\(c.startedAt))" + (c.store.map { " in \($0)" } ?? "")
    }

    static func itemSummary(_ r: DriftResult) -> String {
        "\(r.items(.added).count) added, \(r.items(.removed).count) removed, \(r.items(.changed).count) changed"
    }

    static func checkSummary(_ r: DriftResult) -> String {
        let other = r.checks.count - r.regressions.count - r.fixes.count - r.newFailures.count
        return "\(r.regressions.count) regression(s), \(r.newFailures.count) new failure(s), \(r.fixes.count) fix(es)"
            + (other > 0 ? ", \(other) other change(s)" : "")
    }

    static func transitionLine(_ t: CheckTransition) -> String {
        let label: String
        switch t.kind {
        case .regression: label = "REGRESSION"
        case .fix: label = "FIXED"
        case .newFailure: label = "NEW FAILURE"
        case .changed: label = "CHANGED"
        }
        let controls = t.controls.isEmpty ? "" : "  [\(t.controls.joined(separator: ", "))]"
        return "\(label)  \(t.checkID)  \(oneLine(t.resource)): \(t.oldStatus ?? "none") → \(t.newStatus ?? "none") — \(oneLine(t.reason))\(controls)"
    }

    static func talosLine(_ d: TalosDivergence) -> String {
        "node \(oneLine(d.node)) \(d.document) \(oneLine(d.path)): declared \(value(d.declared)) ≠ running \(value(d.running))"
    }

    static func render(_ r: DriftResult, options: DriftRenderOptions) -> String {
        var out = ""
        if let from = r.from {
            out += "drift: \(captureLine(from)) → \(captureLine(r.to))\n"
        } else {
            out += "drift: \(captureLine(r.to)) (no earlier capture to compare with)\n"
        }
        if r.from != nil {
            out += "items: \(itemSummary(r))\n"
            let marks: [ItemChange.Change: String] = [.added: "+", .removed: "-", .changed: "~"]
            for i in r.items {
                out += "  \(marks[i.change]!) \(i.kind)  \(oneLine(i.subject))  (\(i.source)=\(oneLine(i.target)))\n"
                for f in i.fields.prefix(options.fieldLimit) {
                    out += "      \(oneLine(f.path)): \(value(f.old)) → \(value(f.new))\n"
                }
                if i.fields.count > options.fieldLimit { out += "      … \(i.fields.count - options.fieldLimit) more field(s): --format json lists all\n" }
            }
            if r.from?.evaluationID != nil, r.to.evaluationID != nil {
                out += "checks: \(checkSummary(r))\n"
                for t in r.checks { out += "  \(transitionLine(t))\n" }
            }
            if !r.controls.isEmpty {
                out += "controls:\n"
                for c in r.controls {
                    let status = c.statusChanged ? "\(c.oldStatus ?? "none") → \(c.newStatus ?? "none")" : "still \(c.newStatus ?? "none")"
                    out += "  \(c.controlID) \(oneLine(c.title)): \(status)" + (c.checks.isEmpty ? "" : " (checks: \(c.checks.joined(separator: ", ")))") + "\n"
                }
            }
        }
        if !r.talos.isEmpty {
            out += "talos declared vs running: \(r.talos.count) difference(s)\n"
            for d in r.talos { out += "  \(talosLine(d))\n" }
        }
        if options.includeFailing {
            out += "failing checks: \(r.failing.count)\n"
            for f in r.failing { out += "  \(f.status.uppercased())  \(f.checkID)  \(oneLine(f.resource)) — \(oneLine(f.reason))\n" }
        }
        for n in r.notes { out += "note: \(n)\n" }
        out += r.hasChanges ? "drift found.\n" : "no drift.\n"
        return out
    }
}
