import Foundation

/// Lets a Helm/Go-templated manifest be read as YAML without guessing any value.
///
/// Lines that hold only template actions (`{{- if … }}`, `{{ toYaml … | indent 4 }}`) become blank
/// (line numbers stay right); an expression inside a line becomes a marker, and the marker is turned
/// back into the original `{{ … }}` text wherever a value is reported, so it is recorded as unresolved.
struct TemplateText {
    private(set) var expressions: [String] = []

    /// Whether the text uses template actions at all.
    static func isTemplated(_ text: String) -> Bool { text.contains("{{") }

    mutating func neutralize(_ text: String) -> String {
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var out = ""
            var rest = Substring(line)
            var hadAction = false
            while let open = rest.range(of: "{{") {
                guard let close = rest[open.upperBound...].range(of: "}}") else { break }
                out += rest[..<open.lowerBound]
                let expr = String(rest[open.lowerBound..<close.upperBound])
                expressions.append(expr)
                out += "\(PlaceholderText.marker)\(expressions.count - 1)__"
                rest = rest[close.upperBound...]
                hadAction = true
            }
            out += rest
            if hadAction, Self.onlyMarkers(out) { out = "" }
            lines.append(out)
        }
        return lines.joined(separator: "\n")
    }

    /// The original text of a value that may hold markers.
    func restore(_ s: String) -> String {
        guard s.contains(PlaceholderText.marker) else { return s }
        var out = s
        for (i, e) in expressions.enumerated().reversed() {
            out = out.replacingOccurrences(of: "\(PlaceholderText.marker)\(i)__", with: e)
        }
        return out
    }

    private static func onlyMarkers(_ line: String) -> Bool {
        var s = Substring(line)
        while let r = s.range(of: PlaceholderText.marker) {
            let after = s[r.upperBound...]
            guard let end = after.range(of: "__") else { return false }
            guard s[..<r.lowerBound].allSatisfy({ $0 == " " || $0 == "\t" }) else { return false }
            s = after[end.upperBound...]
        }
        return s.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" }
    }
}
