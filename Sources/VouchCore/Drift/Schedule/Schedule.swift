import Foundation

/// Durations as people write them: `30s`, `5m`, `1h`, `1h30m`, `7d`, `500ms`.
public enum DurationText {
    public static func parse(_ text: String) throws -> TimeInterval {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let plain = Double(t), plain >= 0 { return plain }
        var total: TimeInterval = 0
        var number = ""
        var i = t.startIndex
        var sawUnit = false
        while i < t.endIndex {
            let c = t[i]
            if c.isNumber || c == "." { number.append(c); i = t.index(after: i); continue }
            var unit = String(c)
            if t[i...].hasPrefix("ms") { unit = "ms" }
            guard let n = Double(number) else { throw DriftError.badDuration(text) }
            switch unit {
            case "ms": total += n / 1000
            case "s": total += n
            case "m": total += n * 60
            case "h": total += n * 3600
            case "d": total += n * 86_400
            case "w": total += n * 604_800
            default: throw DriftError.badDuration(text)
            }
            number = ""
            sawUnit = true
            i = t.index(i, offsetBy: unit.count)
        }
        guard sawUnit, number.isEmpty else { throw DriftError.badDuration(text) }
        return total
    }

    /// `1h30m`-style text for logs and metrics help.
    public static func format(_ seconds: TimeInterval) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        var s = Int(seconds.rounded())
        var out = ""
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where s >= size {
            out += "\(s / size)\(unit)"
            s %= size
        }
        return out.isEmpty ? "0s" : out
    }
}

/// Back-off for sources that keep failing: after `n` failures in a row a source is skipped
/// for 2^(n-1) - 1 cycles (0, 1, 3, 7, …, capped), then tried again.
public struct SourceBackoff: Sendable {
    public struct State: Sendable, Hashable {
        public var failures = 0
        public var skipUntilCycle = 0
        public var lastError = ""
    }
    public var maxSkip: Int
    public private(set) var states: [String: State] = [:]

    public init(maxSkip: Int = 15) { self.maxSkip = maxSkip }

    public static func key(_ r: SourceRequest) -> String { r.source + "=" + r.target }

    /// Whether the source should be skipped in this cycle, and why.
    public func skipReason(_ r: SourceRequest, cycle: Int) -> String? {
        guard let s = states[Self.key(r)], s.failures > 0, cycle < s.skipUntilCycle else { return nil }
        return "not retried in this capture: it failed in \(s.failures) capture(s) in a row and is backing off (next try in capture cycle \(s.skipUntilCycle)); last error: \(s.lastError)"
    }

    /// Records the outcome of a tried source.
    public mutating func record(_ r: SourceRequest, failed message: String?, cycle: Int) {
        let k = Self.key(r)
        guard let message else { states[k] = nil; return }
        var s = states[k] ?? State()
        s.failures += 1
        s.lastError = message
        s.skipUntilCycle = cycle + 1 + min(maxSkip, (1 << min(s.failures - 1, 20)) - 1)
        states[k] = s
    }

    public func failures(_ r: SourceRequest) -> Int { states[Self.key(r)]?.failures ?? 0 }
}
