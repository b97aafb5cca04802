import Foundation

/// Prometheus value syntaxes: durations (`1y2w3d4h5m6s7ms`) and base-2 byte sizes (`512MB`).
enum PromDuration {
    /// Milliseconds of a Prometheus duration: units y(365d), w, d, h, m, s, ms, each at most once
    /// and in that order; `0` alone is allowed. Returns nil for anything else (e.g. `1.5h`, `-1h`).
    static func milliseconds(_ text: String) -> Int64? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s == "0" { return 0 }
        guard !s.isEmpty else { return nil }
        let units: [(String, Int64)] = [("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000),
                                        ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]
        var total: Int64 = 0
        var next = 0  // index of the next allowed unit
        var i = s.startIndex
        while i < s.endIndex {
            let digitsEnd = s[i...].firstIndex(where: { !$0.isASCII || !$0.isNumber }) ?? s.endIndex
            guard digitsEnd > i, let n = Int64(s[i..<digitsEnd]) else { return nil }
            let unitEnd = s[digitsEnd...].firstIndex(where: { $0.isNumber }) ?? s.endIndex
            let unit = String(s[digitsEnd..<unitEnd])
            guard let k = units.firstIndex(where: { $0.0 == unit }), k >= next else { return nil }
            let (product, overflow) = n.multipliedReportingOverflow(by: units[k].1)
            guard !overflow else { return nil }
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow2 else { return nil }
            total = sum
            next = k + 1
            i = unitEnd
        }
        return total
    }

    /// Bytes of a size: `0`, or a number (fraction allowed) with B, KB/KiB, MB/MiB, GB, TB, PB, EB (powers of 2),
    /// also Kubernetes-style `Ki`/`Mi`/`Gi` and bare K/M/G (as Prometheus' units parser and the operator accept).
    static func bytes(_ text: String) -> Int64? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s == "0" { return 0 }
        guard let numEnd = s.firstIndex(where: { !($0.isNumber || $0 == ".") }), numEnd > s.startIndex,
              let n = Double(s[..<numEnd]), n >= 0 else { return nil }
        var unit = s[numEnd...].uppercased()
        if unit.hasSuffix("IB") { unit = String(unit.dropLast(2)) + "B" } else if unit.hasSuffix("I") { unit = String(unit.dropLast()) + "B" }
        if unit.count == 1, unit != "B" { unit += "B" }
        let powers: [String: Double] = ["B": 1, "KB": 1024, "MB": 1_048_576, "GB": 1_073_741_824,
                                        "TB": 1_099_511_627_776, "PB": 1_125_899_906_842_624, "EB": 1_152_921_504_606_846_976]
        guard let p = powers[unit] else { return nil }
        let v = n * p
        guard v < 9.2e18 else { return nil }
        return Int64(v.rounded())
    }

    /// Whether a value is a placeholder that only a later tool fills in: `${VAR}`, `$(VAR)`, `{{ … }}`.
    static func isPlaceholder(_ text: String) -> Bool {
        text.contains("${") || text.contains("$(") || text.contains("{{") || text.contains(PlaceholderText.marker)
    }
}

/// Markers standing in for Helm/Go template expressions while a template file is read as YAML.
enum PlaceholderText {
    static let marker = "__vouch_template_"
}
