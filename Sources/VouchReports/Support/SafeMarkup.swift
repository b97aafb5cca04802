import Foundation

/// Makes store text safe for markup: XML 1.0 and HTML forbid most control characters,
/// so they are replaced *visibly* (an auditor must see that something odd was there).
///
/// - C0 controls other than tab, line feed and carriage return → the Unicode control
///   pictures (U+2400 + code, e.g. NUL → ␀), DEL → ␡.
/// - C1 controls and the noncharacters U+FFFE/U+FFFF → U+FFFD.
/// - Invalid UTF-8 never reaches here as such: `decode(_:)` turns it into U+FFFD.
public enum SafeMarkup {
    /// Text with forbidden characters replaced (tab, LF and CR kept).
    public static func clean(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: needsReplacement) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars { out.append(replacement(u)) }
        return String(out)
    }

    /// Text on one line: clean, whitespace runs (including newlines) collapsed to one space, trimmed.
    public static func oneLine(_ s: String) -> String {
        let cleaned = clean(s)
        var out = ""
        out.reserveCapacity(cleaned.utf8.count)
        var pendingSpace = false
        for ch in cleaned {
            if ch.isWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.append(ch)
            }
        }
        return out
    }

    /// Bytes as text: valid UTF-8 as is, each invalid sequence as U+FFFD, then cleaned.
    public static func decode(_ bytes: Data) -> String { clean(String(decoding: bytes, as: UTF8.self)) }

    /// Escapes text for an XML or HTML element body (after cleaning).
    public static func escapeText(_ s: String) -> String { escape(clean(s), quotes: false) }

    /// Escapes text for a double-quoted XML or HTML attribute (after cleaning).
    public static func escapeAttribute(_ s: String) -> String { escape(clean(s), quotes: true) }

    static func needsReplacement(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        if v < 0x20 { return v != 0x09 && v != 0x0A && v != 0x0D }
        return v == 0x7F || (0x80...0x9F).contains(v) || v == 0xFFFE || v == 0xFFFF
    }

    static func replacement(_ u: Unicode.Scalar) -> Unicode.Scalar {
        guard needsReplacement(u) else { return u }
        if u.value < 0x20 { return Unicode.Scalar(0x2400 + u.value)! }
        if u.value == 0x7F { return "\u{2421}" }
        return "\u{FFFD}"
    }

    private static func escape(_ s: String, quotes: Bool) -> String {
        guard s.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || (quotes && ($0 == 0x22 || $0 == 0x27 || $0 < 0x20)) })
        else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"  // also keeps `]]>` out of every output
            case "\"" where quotes: out += "&quot;"
            case "'" where quotes: out += "&#39;"
            case "\n" where quotes: out += "&#10;"
            case "\r" where quotes: out += "&#13;"
            case "\t" where quotes: out += "&#9;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
