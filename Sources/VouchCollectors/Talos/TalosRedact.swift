import Foundation
import VouchCore
import Yams

/// Redacts the stored copy of a config: each secret scalar is replaced in place, in the text as
/// written (comments, order and layout stay), by its fingerprint. Anything the span edit misses
/// (another copy of a secret, a PEM key in a comment) is then removed by value.
enum TalosRedact {
    /// The redacted text of one document.
    static func redact(_ text: String, spans: [SecretSpan], secrets: [String], redactor: Redactor) -> String {
        var out = text
        if !spans.isEmpty {
            var lines = TalosLines.split(text).map(String.init)
            // Last span first, so earlier positions stay valid.
            for span in spans.sorted(by: { ($0.line, $0.column) > ($1.line, $1.column) }) {
                apply(span, to: &lines)
            }
            out = lines.joined(separator: "\n")
        }
        // Residual copies: only this file's secrets are searched (fast with thousands of files).
        for s in secrets where s.utf8.count >= 4 {
            if SafeText.contains(out, s) { out = out.replacingOccurrences(of: s, with: Redactor.fingerprintText(s)) }
            guard s.utf8.contains(10) else { continue }
            for line in s.split(separator: "\n") where line.utf8.count >= 16 && SafeText.contains(out, String(line)) {
                out = out.replacingOccurrences(of: String(line), with: Redactor.fingerprintText(String(line)))
            }
        }
        guard SafeText.contains(out, "PRIVATE KEY-----") else { return out }
        return Redactor.scrubPEMPrivateKeys(out, redactor: redactor)
    }

    /// A plain YAML scalar for a replacement, quoted when it could not stand bare.
    static func quoteIfNeeded(_ s: String) -> String {
        let risky = s.isEmpty || s.contains(": ") || s.contains(" #") || s.hasPrefix(" ") || s.hasSuffix(" ")
            || "!&*-?{}[],#|>@`\"'%".contains(s.first!) || s.contains("\n")
        return risky ? JSONValue.string(s).canonicalText : s
    }

    private static func apply(_ span: SecretSpan, to lines: inout [String]) {
        let li = span.line - 1
        guard li >= 0, li < lines.count else { return }
        let line = lines[li]
        // The span's column counts Unicode scalars.
        let scalars = line.unicodeScalars
        let col = span.column - 1
        guard col >= 0, let cut = scalars.index(scalars.startIndex, offsetBy: col, limitedBy: scalars.endIndex) else { return }
        let head = String(scalars[..<cut])
        let rest = String(scalars[cut...])
        switch span.style {
        case .literal, .folded:
            // `key: |` … the block runs while lines are blank or indented at least as deep as its first content line.
            var end = li
            var indent: Int?
            var j = li + 1
            while j < lines.count {
                let l = lines[j]
                let lead = l.prefix(while: { $0 == " " }).count
                if l.allSatisfy({ $0 == " " || $0 == "\t" }) { j += 1; continue }
                if indent == nil {
                    let keyIndent = line.prefix(while: { $0 == " " }).count
                    guard lead > keyIndent else { break }
                    indent = lead
                }
                guard lead >= indent! else { break }
                end = j
                j += 1
            }
            lines[li] = head + span.replacement
            if end > li { lines.removeSubrange(li + 1...end) }
        case .singleQuoted, .doubleQuoted:
            let q: Character = span.style == .singleQuoted ? "'" : "\""
            // Find the closing quote, possibly on a later line.
            var j = li
            var text = rest
            var from = text.index(after: text.startIndex)
            while true {
                if let close = closingQuote(in: text, from: from, quote: q) {
                    lines[li] = head + span.replacement + String(text[text.index(after: close)...])
                    if j > li { lines.removeSubrange(li + 1...j) }
                    return
                }
                j += 1
                guard j < lines.count else { lines[li] = head + span.replacement; return }
                text = lines[j]
                from = text.startIndex
            }
        default:
            if rest.hasPrefix(span.raw) {
                lines[li] = head + span.replacement + String(rest.dropFirst(span.raw.count))
            } else {
                // A plain scalar folded over several lines: drop its continuation lines.
                let keyIndent = line.prefix(while: { $0 == " " }).count
                lines[li] = head + span.replacement
                var j = li + 1
                while j < lines.count {
                    let l = lines[j]
                    let lead = l.prefix(while: { $0 == " " }).count
                    if l.trimmingCharacters(in: .whitespaces).isEmpty || lead <= keyIndent { break }
                    j += 1
                }
                if j > li + 1 { lines.removeSubrange(li + 1..<j) }
            }
        }
    }

    private static func closingQuote(in text: String, from: String.Index, quote: Character) -> String.Index? {
        var i = from
        while i < text.endIndex {
            let c = text[i]
            if quote == "\"" && c == "\\" {
                i = text.index(after: i)
                if i < text.endIndex { i = text.index(after: i) }
                continue
            }
            if c == quote {
                let next = text.index(after: i)
                if quote == "'" && next < text.endIndex && text[next] == "'" { i = text.index(after: next); continue }
                return i
            }
            i = text.index(after: i)
        }
        return nil
    }
}
