import Foundation

/// Inline SVG charts for the HTML report: no script, no external resource, integer
/// coordinates only (so the same model always gives the same bytes).
enum Charts {
    static func color(_ status: String) -> String {
        switch status {
        case "implemented": return "#2e7d32"
        case "partially_implemented": return "#f2a900"
        case "not_implemented": return "#c62828"
        case "manual_attested": return "#1565c0"
        case "manual_pending": return "#8fb8e8"
        case "no_evidence": return "#8d8d8d"
        case "not_applicable": return "#d9d9d9"
        default: return "#b0b0b0"
        }
    }

    private static func t(_ s: String) -> String { SafeMarkup.escapeText(s) }

    /// One stacked horizontal bar per theme: how many of its controls have each status.
    static func statusPerTheme(_ controls: [ControlReport]) -> String {
        var themes: [String] = []
        var counts: [String: [String: Int]] = [:]
        for c in controls {
            if counts[c.theme] == nil { themes.append(c.theme) }
            counts[c.theme, default: [:]][c.status, default: 0] += 1
        }
        let statuses = StatusVocabulary.order.filter { s in controls.contains { $0.status == s } }
            + Set(controls.map(\.status)).subtracting(StatusVocabulary.order).sorted()
        let labelWidth = 190, barWidth = 470, rowHeight = 30, top = 8
        let maxTotal = max(1, themes.map { counts[$0]!.values.reduce(0, +) }.max() ?? 1)
        let legendRows = (statuses.count + 2) / 3
        let height = top + themes.count * rowHeight + 16 + legendRows * 20
        var svg = "<svg class=\"chart\" role=\"img\" aria-label=\"Control status per theme\" viewBox=\"0 0 700 \(height)\" width=\"700\" height=\"\(height)\">"
        for (i, theme) in themes.enumerated() {
            let y = top + i * rowHeight
            let total = counts[theme]!.values.reduce(0, +)
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 19)\" text-anchor=\"end\" class=\"lbl\">\(t(theme))</text>"
            var x = labelWidth
            for s in statuses {
                guard let n = counts[theme]![s], n > 0 else { continue }
                let w = max(2, n * barWidth / maxTotal)
                svg += "<rect x=\"\(x)\" y=\"\(y + 4)\" width=\"\(w)\" height=\"\(rowHeight - 8)\" fill=\"\(color(s))\"><title>\(t(StatusVocabulary.label(s))): \(n)</title></rect>"
                if w >= 22 {
                    let fg = ["not_applicable", "manual_pending", "partially_implemented"].contains(s) ? "#222" : "#fff"
                    svg += "<text x=\"\(x + w / 2)\" y=\"\(y + 20)\" text-anchor=\"middle\" class=\"num\" fill=\"\(fg)\">\(n)</text>"
                }
                x += w
            }
            svg += "<text x=\"\(x + 6)\" y=\"\(y + 19)\" class=\"lbl\">\(total)</text>"
        }
        svg += legend(statuses, y: top + themes.count * rowHeight + 10)
        return svg + "</svg>"
    }

    private static func legend(_ statuses: [String], y: Int) -> String {
        var svg = ""
        for (i, s) in statuses.enumerated() {
            let x = 10 + (i % 3) * 230, yy = y + (i / 3) * 20
            svg += "<rect x=\"\(x)\" y=\"\(yy)\" width=\"12\" height=\"12\" fill=\"\(color(s))\"/>"
            svg += "<text x=\"\(x + 18)\" y=\"\(yy + 11)\" class=\"lbl\">\(t(StatusVocabulary.label(s)))</text>"
        }
        return svg
    }

    /// Stacked columns of control statuses per recent capture; when no capture was evaluated,
    /// the evidence items per capture instead.
    static func trend(_ points: [TrendPoint]) -> String {
        let evaluated = points.contains(where: \.evaluated)
        let chartTop = 10, chartHeight = 150, left = 40, colWidth = 44, gap = 10
        let width = max(700, left + points.count * (colWidth + gap) + 20)
        let statuses = StatusVocabulary.order.filter { s in points.contains { $0.statuses.contains { $0.name == s } } }
        let legendRows = evaluated ? (statuses.count + 2) / 3 : 0
        let height = chartTop + chartHeight + 40 + legendRows * 20
        let maxValue = max(1, points.map { evaluated ? $0.statuses.reduce(0) { $0 + $1.count } : $0.items }.max() ?? 1)
        var svg = "<svg class=\"chart\" role=\"img\" aria-label=\"Trend over recent captures\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\">"
        let base = chartTop + chartHeight
        svg += "<line x1=\"\(left - 4)\" y1=\"\(base)\" x2=\"\(width - 10)\" y2=\"\(base)\" stroke=\"#999\"/>"
        svg += "<text x=\"\(left - 8)\" y=\"\(chartTop + 10)\" text-anchor=\"end\" class=\"lbl\">\(maxValue)</text>"
        svg += "<text x=\"\(left - 8)\" y=\"\(base)\" text-anchor=\"end\" class=\"lbl\">0</text>"
        for (i, p) in points.enumerated() {
            let x = left + i * (colWidth + gap)
            var y = base
            if evaluated {
                if p.evaluated {
                    for s in statuses {
                        guard let n = p.statuses.first(where: { $0.name == s })?.count, n > 0 else { continue }
                        let h = max(1, n * chartHeight / maxValue)
                        y -= h
                        svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(colWidth)\" height=\"\(h)\" fill=\"\(color(s))\"><title>capture \(p.captureID): \(t(StatusVocabulary.label(s))) \(n)</title></rect>"
                    }
                } else {
                    svg += "<text x=\"\(x + colWidth / 2)\" y=\"\(base - 6)\" text-anchor=\"middle\" class=\"lbl\">n/e</text>"
                }
            } else {
                let h = max(1, p.items * chartHeight / maxValue)
                svg += "<rect x=\"\(x)\" y=\"\(base - h)\" width=\"\(colWidth)\" height=\"\(h)\" fill=\"#5c7f9e\"><title>capture \(p.captureID): \(p.items) items</title></rect>"
                if p.errors > 0 {
                    let eh = max(1, p.errors * chartHeight / maxValue)
                    svg += "<rect x=\"\(x)\" y=\"\(base - eh)\" width=\"\(colWidth)\" height=\"\(eh)\" fill=\"#c62828\"/>"
                }
            }
            svg += "<text x=\"\(x + colWidth / 2)\" y=\"\(base + 15)\" text-anchor=\"middle\" class=\"lbl\">#\(p.captureID)</text>"
            svg += "<text x=\"\(x + colWidth / 2)\" y=\"\(base + 29)\" text-anchor=\"middle\" class=\"sm\">\(t(String(p.startedAt.prefix(10)).dropFirst(5).description))</text>"
        }
        if evaluated { svg += legend(statuses, y: base + 38) }
        return svg + "</svg>"
    }
}
