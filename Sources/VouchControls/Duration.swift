import Foundation
import VouchCore

/// Durations as people write them in a profile (`400d`, `26h`, `1y2w`, or plain seconds).
public enum DurationText {
    /// Seconds in a Prometheus-style duration: y (365d), w, d, h, m, s, ms; or an integer of seconds.
    public static func seconds(_ value: JSONValue) -> Int64? {
        if let i = value.intValue { return i >= 0 ? i : nil }
        guard let text = value.stringValue else { return nil }
        return seconds(text)
    }

    public static func seconds(_ text: String) -> Int64? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let i = Int64(s) { return i >= 0 ? i : nil }
        let units: [(String, Double)] = [("ms", 0.001), ("y", 31_536_000), ("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
        var total = 0.0
        var rest = Substring(s)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isNumber })
            guard !digits.isEmpty, let n = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += n * unit.1
        }
        return Int64(total.rounded(.down))
    }
}

/// Dates in a profile: `2026-12-31`, a full ISO 8601 time, or what a YAML 1.1 loader printed.
public enum DateText {
    public static func parse(_ value: JSONValue) -> Date? {
        guard let text = value.stringValue ?? value.intValue.map(String.init) else { return nil }
        return parse(text)
    }

    public static func parse(_ text: String) -> Date? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let d = Timestamp.parse(t) { return d }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss Z", "yyyy-MM-dd'T'HH:mm:ssZ", "yyyy-MM-dd HH:mm:ss"] {
            f.dateFormat = format
            if let d = f.date(from: t) { return d }
        }
        return nil
    }

    /// The day, for messages and JSON (`2026-12-31`).
    public static func day(_ date: Date) -> String { String(Timestamp.string(date).prefix(10)) }
}
