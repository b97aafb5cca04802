import Foundation

/// bpftool's plain-text `map dump` (no `-j`, no BTF): `key: 00 01  value: 02 03` pairs,
/// on one line or split over several, ending with `Found N elements`.
enum PlainDump {
    struct ParseError: Error, LocalizedError {
        var line: Int
        var message: String
        var errorDescription: String? { "line \(line): \(message)" }
    }

    /// The entries, or nil when the text is not a plain dump at all.
    static func parse(_ text: String) throws -> [(key: [UInt8], value: [UInt8])]? {
        var entries: [(key: [UInt8], value: [UInt8])] = []
        var key: [UInt8]? = nil, value: [UInt8]? = nil
        var target = 0  // 0 none, 1 key, 2 value
        var sawKey = false
        func flush() {
            if let k = key, let v = value { entries.append((k, v)) }
            key = nil; value = nil
        }
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty || t.hasPrefix("#") || t.hasPrefix("Found ") { continue }
            for tok in t.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                if tok == "key:" { flush(); key = []; target = 1; sawKey = true; continue }
                if tok == "value:" {
                    guard key != nil else { throw ParseError(line: n + 1, message: "'value:' without a key before it") }
                    value = []; target = 2; continue
                }
                guard tok.count == 2, let b = UInt8(tok, radix: 16) else {
                    if !sawKey { return nil }
                    throw ParseError(line: n + 1, message: "'\(tok)' is not a hex byte")
                }
                switch target {
                case 1: key!.append(b)
                case 2: value!.append(b)
                default: if !sawKey { return nil }
                }
            }
        }
        flush()
        return sawKey ? entries : nil
    }
}
