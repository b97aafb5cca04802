import Foundation
import VouchCore

/// Drift as Markdown: the GitHub step summary, merge-request notes, chat messages.
/// Every value from the store is escaped, so a file name cannot inject markup.
public enum DriftMarkdown {
    public static func render(_ r: DriftResult, options: DriftRenderOptions = DriftRenderOptions()) -> String {
        var out = "## Vouch drift: " + (r.hasChanges ? "changes found" : "no drift") + "\n\n"
        if let from = r.from {
            out += "Capture \(from.id) (\(esc(from.startedAt))\(from.store.map { ", " + esc($0) } ?? "")) → capture \(r.to.id) (\(esc(r.to.startedAt))).\n\n"
            out += "| | count |\n|---|---:|\n"
            out += "| items added | \(r.items(.added).count) |\n| items removed | \(r.items(.removed).count) |\n"
            out += "| items changed | \(r.items(.changed).count) |\n| check regressions | \(r.regressions.count) |\n"
            out += "| new failures | \(r.newFailures.count) |\n| fixes | \(r.fixes.count) |\n"
            out += "| Talos declared ≠ running | \(r.talos.count) |\n\n"
        } else {
            out += "Capture \(r.to.id) (\(esc(r.to.startedAt))): no earlier capture to compare with.\n\n"
        }
        let worse = r.checks.filter { $0.kind != .fix }
        if !worse.isEmpty || !r.fixes.isEmpty {
            out += "### Checks\n\n| change | check | resource | status | reason | controls |\n|---|---|---|---|---|---|\n"
            for t in worse + r.fixes {
                out += "| \(t.kind.rawValue.replacingOccurrences(of: "_", with: " ")) | \(esc(t.checkID)) | \(esc(t.resource)) | "
                    + "\(t.oldStatus ?? "none") → \(t.newStatus ?? "none") | \(esc(t.reason)) | \(t.controls.map(esc).joined(separator: ", ")) |\n"
            }
            out += "\n"
        }
        let changedControls = r.controls.filter(\.statusChanged)
        if !changedControls.isEmpty {
            out += "### Controls\n\n| control | title | status |\n|---|---|---|\n"
            for c in changedControls {
                out += "| \(esc(c.controlID)) | \(esc(c.title)) | \(esc(c.oldStatus ?? "none")) → \(esc(c.newStatus ?? "none")) |\n"
            }
            out += "\n"
        }
        if !r.items.isEmpty {
            out += "### Items\n\n| change | kind | subject | differences |\n|---|---|---|---|\n"
            for i in r.items.prefix(500) {
                let fields = i.fields.prefix(options.fieldLimit).map { "\(esc($0.path)): \(esc(DriftText.value($0.old, limit: 80))) → \(esc(DriftText.value($0.new, limit: 80)))" }
                out += "| \(i.change.rawValue) | \(esc(i.kind)) | \(esc(i.subject)) | \(fields.joined(separator: "<br>")) |\n"
            }
            if r.items.count > 500 { out += "\n… and \(r.items.count - 500) more items (`vouch drift --format json` lists all).\n" }
            out += "\n"
        }
        if !r.talos.isEmpty {
            out += "### Talos: declared vs running\n\n| node | document | path | declared | running |\n|---|---|---|---|---|\n"
            for d in r.talos {
                out += "| \(esc(d.node)) | \(esc(d.document)) | \(esc(d.path)) | \(esc(DriftText.value(d.declared, limit: 80))) | \(esc(DriftText.value(d.running, limit: 80))) |\n"
            }
            out += "\n"
        }
        if options.includeFailing, !r.failing.isEmpty {
            out += "### Failing checks\n\n| status | check | resource | reason |\n|---|---|---|---|\n"
            for s in r.failing { out += "| \(s.status) | \(esc(s.checkID)) | \(esc(s.resource)) | \(esc(s.reason)) |\n" }
            out += "\n"
        }
        for n in r.notes { out += "> \(esc(n))\n" }
        return out
    }

    /// Escapes Markdown and HTML so the text shows as written, on one table line.
    static func esc(_ s: String) -> String {
        var out = ""
        for u in DriftText.oneLine(s).unicodeScalars {
            switch u {
            case "\\", "`", "*", "_", "[", "]", "#", "|", "~", "!": out += "\\"; out.unicodeScalars.append(u)
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}

/// Drift as GitHub Actions workflow commands (`::error file=…,title=…::message`) and the step summary.
public enum DriftGitHub {
    public static func annotations(_ r: DriftResult, options: DriftRenderOptions = DriftRenderOptions()) -> String {
        var out = ""
        func emit(_ level: String, file: String?, title: String, _ message: String) {
            var props = "title=" + prop(title)
            if let file, file.hasPrefix("/") == false, !file.isEmpty { props = "file=" + prop(file) + "," + props }
            out += "::\(level) \(props)::\(data(message))\n"
        }
        for t in r.checks {
            switch t.kind {
            case .regression, .newFailure: emit("error", file: nil, title: "Vouch: \(t.kind == .regression ? "regression" : "new failure") in \(t.checkID)", DriftText.transitionLine(t))
            case .changed: emit("warning", file: nil, title: "Vouch: \(t.checkID) changed", DriftText.transitionLine(t))
            case .fix: emit("notice", file: nil, title: "Vouch: \(t.checkID) fixed", DriftText.transitionLine(t))
            }
        }
        for d in r.talos {
            emit("error", file: DriftText.relative(d.declaredOrigin, options), title: "Vouch: Talos \(d.node) runs other than declared", DriftText.talosLine(d))
        }
        for i in r.items {
            let fields = i.fields.prefix(options.fieldLimit).map { "\($0.path): \(DriftText.value($0.old)) → \(DriftText.value($0.new))" }
            emit("warning", file: DriftText.relative(i.origin, options), title: "Vouch drift: \(i.kind) \(i.change.rawValue)",
                 "\(i.kind) \(i.subject) was \(i.change.rawValue)" + (fields.isEmpty ? "" : "\n" + fields.joined(separator: "\n")))
        }
        if options.includeFailing {
            for s in r.failing { emit("error", file: nil, title: "Vouch: \(s.checkID) \(s.status)", "\(s.checkID) \(s.resource): \(s.reason)") }
        }
        return out
    }

    /// Appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when the variable is set.
    @discardableResult
    public static func writeStepSummary(_ r: DriftResult, options: DriftRenderOptions = DriftRenderOptions(),
                                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        guard let path = environment["GITHUB_STEP_SUMMARY"], !path.isEmpty else { return nil }
        let text = DriftMarkdown.render(r, options: options) + "\n"
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        return path
    }

    /// Workflow-command escaping: the message.
    static func data(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            default:
                if u.value < 0x20 || u.value == 0x7F { out += String(format: "\\x%02X", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    /// Workflow-command escaping: a property value.
    static func prop(_ s: String) -> String {
        data(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}
