import Foundation
import VouchCore

/// Drift as JUnit XML (the Jenkins flavour: `testsuites` of `testsuite`s of `testcase`s).
///
/// One suite per part: items, checks, Talos declared vs running (and failing checks for
/// `vouch ci --fail-on failures`). Every drift is a failed test case; a part without drift
/// holds one passing case so pipelines show that it was compared.
public enum DriftJUnit {
    struct Case {
        var name: String
        var classname: String
        var failure: (type: String, message: String, body: String)?
        var error = false
        var output: String?
    }

    public static func render(_ r: DriftResult, options: DriftRenderOptions = DriftRenderOptions()) -> String {
        var suites: [(String, [Case])] = []
        if r.from != nil {
            suites.append(("vouch.drift.items", r.items.map { itemCase($0, options) }.orPassing("no item drift", "vouch.drift.items")))
            if r.from?.evaluationID != nil, r.to.evaluationID != nil {
                suites.append(("vouch.drift.checks", r.checks.map(checkCase).orPassing("no check status changes", "vouch.drift.checks")))
            }
        }
        suites.append(("vouch.drift.talos", r.talos.map(talosCase).orPassing("declared and running Talos agree", "vouch.drift.talos")))
        if options.includeFailing {
            suites.append(("vouch.checks.failing", r.failing.map(failingCase).orPassing("no failing checks", "vouch.checks.failing")))
        }
        let tests = suites.reduce(0) { $0 + $1.1.count }
        let failures = suites.reduce(0) { $0 + $1.1.filter { $0.failure != nil && !$0.error }.count }
        let errors = suites.reduce(0) { $0 + $1.1.filter { $0.failure != nil && $0.error }.count }
        let title = r.from.map { "vouch drift capture \($0.id) → \(r.to.id)" } ?? "vouch drift capture \(r.to.id)"
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"\(XMLText.attr(title))\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\">\n"
        for (name, cases) in suites {
            let f = cases.filter { $0.failure != nil && !$0.error }.count, e = cases.filter { $0.failure != nil && $0.error }.count
            out += "  <testsuite name=\"\(name)\" tests=\"\(cases.count)\" failures=\"\(f)\" errors=\"\(e)\" skipped=\"0\" timestamp=\"\(XMLText.attr(r.to.startedAt))\">\n"
            out += "    <properties>\n"
            out += "      <property name=\"to.capture\" value=\"\(r.to.id)\"/>\n"
            out += "      <property name=\"to.seal\" value=\"\(r.to.seal)\"/>\n"
            if let from = r.from {
                out += "      <property name=\"from.capture\" value=\"\(from.id)\"/>\n"
                out += "      <property name=\"from.seal\" value=\"\(from.seal)\"/>\n"
            }
            out += "    </properties>\n"
            for c in cases {
                out += "    <testcase name=\"\(XMLText.attr(c.name))\" classname=\"\(XMLText.attr(c.classname))\""
                guard c.failure != nil || c.output != nil else { out += "/>\n"; continue }
                out += ">\n"
                if let f = c.failure {
                    let tag = c.error ? "error" : "failure"
                    out += "      <\(tag) type=\"\(XMLText.attr(f.type))\" message=\"\(XMLText.attr(f.message))\">\(XMLText.text(f.body))</\(tag)>\n"
                }
                if let o = c.output { out += "      <system-out>\(XMLText.text(o))</system-out>\n" }
                out += "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    static func itemCase(_ i: ItemChange, _ options: DriftRenderOptions) -> Case {
        let body = i.fields.map { "\($0.path): \(DriftText.value($0.old, limit: 400)) → \(DriftText.value($0.new, limit: 400))" }
            .joined(separator: "\n")
        let origin = DriftText.relative(i.origin, options)
        return Case(name: "\(i.change.rawValue) \(i.kind) \(i.subject)", classname: "vouch.drift.items.\(i.kind)",
                    failure: (i.change.rawValue, "\(i.kind) \(i.subject) was \(i.change.rawValue)" + (origin.isEmpty ? "" : " (\(origin))"),
                              body))
    }

    static func checkCase(_ t: CheckTransition) -> Case {
        let line = DriftText.transitionLine(t)
        let name = "\(t.checkID) \(t.resource)"
        if t.kind == .fix { return Case(name: name, classname: "vouch.drift.checks", output: line) }
        return Case(name: name, classname: "vouch.drift.checks", failure: (t.kind.rawValue, line, t.reason))
    }

    static func talosCase(_ d: TalosDivergence) -> Case {
        Case(name: "\(d.node) \(d.document) \(d.path)", classname: "vouch.drift.talos",
             failure: ("declared_vs_running", DriftText.talosLine(d),
                       "declared in \(d.declaredOrigin)\nrunning per \(d.runningOrigin)"))
    }

    static func failingCase(_ s: CheckState) -> Case {
        Case(name: "\(s.checkID) \(s.resource)", classname: "vouch.checks",
             failure: (s.status, "\(s.checkID) \(s.resource): \(s.reason)", s.controls.joined(separator: ", ")),
             error: s.status == "error")
    }
}

extension Array where Element == DriftJUnit.Case {
    fileprivate func orPassing(_ name: String, _ classname: String) -> [DriftJUnit.Case] {
        isEmpty ? [DriftJUnit.Case(name: name, classname: classname)] : self
    }
}

/// XML escaping that also keeps the document well-formed for any input: characters XML 1.0
/// cannot hold (control characters, U+FFFE/U+FFFF) are written as `\xNN` text.
enum XMLText {
    static func text(_ s: String) -> String { escape(s, attribute: false) }
    static func attr(_ s: String) -> String { escape(s, attribute: true) }

    private static func escape(_ s: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\n" where attribute: out += "&#10;"
            case "\t" where attribute: out += "&#9;"
            case "\r": out += "&#13;"
            case "\n", "\t": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || u.value == 0x7F || u.value == 0xFFFE || u.value == 0xFFFF {
                    out += String(format: "\\x%02X", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}
