import Foundation

/// Finds retention flags in a command line (container `command`+`args`, a systemd `ExecStart=`,
/// an `ARGS="…"` environment file) and turns them into findings.
///
/// Flags take `--flag=value` or `--flag value`, with one or two dashes. Which program it is comes
/// from the flags themselves and the subcommand: `--storage.tsdb.retention.*` is Prometheus;
/// `compact` + `--retention.resolution-*` the Thanos compactor (each resolution defaults to 0d,
/// forever); `receive`/`rule` + `--tsdb.retention` Thanos receive (default 15d) or ruler (48h);
/// `-compactor.retention-enabled` / `-store.retention` Loki.
enum RetentionFlags {
    struct Arg {
        var text: String
        var line: Int?
    }

    static let names: Set<String> = [
        "storage.tsdb.retention.time", "storage.tsdb.retention", "storage.tsdb.retention.size",
        "storage.agent.retention.max-time", "retention.resolution-raw", "retention.resolution-5m",
        "retention.resolution-1h", "tsdb.retention", "compactor.retention-enabled", "store.retention",
    ]

    /// Flag name → (value, line) in an argument list.
    static func parse(_ args: [Arg]) -> [String: (value: String, line: Int?)] {
        var out: [String: (String, Int?)] = [:]
        var i = 0
        while i < args.count {
            let a = args[i].text
            guard a.hasPrefix("-") else { i += 1; continue }
            let body = a.drop(while: { $0 == "-" })
            if let eq = body.firstIndex(of: "=") {
                let name = String(body[..<eq])
                if names.contains(name) { out[name] = (String(body[body.index(after: eq)...]), args[i].line) }
            } else if names.contains(String(body)), i + 1 < args.count, !args[i + 1].text.hasPrefix("-") {
                out[String(body)] = (args[i + 1].text, args[i + 1].line)
                i += 1
            }
            i += 1
        }
        return out
    }

    /// The findings one command line gives. `program` is argv0 or the container image, used to
    /// recognise a Prometheus server that relies on the default retention.
    static func findings(_ args: [Arg], program: String?, instance: String, originFile: String, fallbackLine: Int) throws -> [RetentionFinding] {
        let flags = parse(args)
        let words = Set(args.map(\.text))
        let hasExpansion = args.contains { $0.text.contains("$") }
        func origin(_ line: Int?) -> String { "\(originFile):\(line ?? fallbackLine)" }
        var out: [RetentionFinding] = []
        let time = flags["storage.tsdb.retention.time"].map { ("--storage.tsdb.retention.time", $0) }
            ?? flags["storage.tsdb.retention"].map { ("--storage.tsdb.retention", $0) }
        let size = flags["storage.tsdb.retention.size"].map { ("--storage.tsdb.retention.size", $0) }
        let isAgent = words.contains("--agent") || words.contains { $0.hasPrefix("--enable-feature=") && $0.contains("agent") }
        let looksLikePrometheus = (program.map { p in
            let base = (p as NSString).lastPathComponent
            return base == "prometheus" || base.hasPrefix("prometheus:") || base.hasPrefix("prometheus@") || p.contains("prom/prometheus")
        } ?? false) && words.contains { $0.hasPrefix("--config.file") }
        if time != nil || size != nil || (looksLikePrometheus && !isAgent && !hasExpansion) {
            out.append(try RetentionRules.prometheus(
                instance: instance, time: time.map { ($0.0, $0.1.value) }, size: size.map { ($0.0, $0.1.value) },
                origin: origin(time?.1.line ?? size?.1.line)))
        }
        if let max = flags["storage.agent.retention.max-time"] {
            out.append(try RetentionRules.zeroIsForever(system: "prometheus", component: "agent", instance: instance,
                                                        setting: "--storage.agent.retention.max-time", raw: max.value, origin: origin(max.line)))
        }
        let resolutions = [("raw", "retention.resolution-raw"), ("5m", "retention.resolution-5m"), ("1h", "retention.resolution-1h")]
        let isThanos = program.map { $0.contains("thanos") } ?? true
        if (words.contains("compact") && isThanos) || resolutions.contains(where: { flags[$0.1] != nil }) {
            for (res, flag) in resolutions {
                if let v = flags[flag] {
                    out.append(try RetentionRules.zeroIsForever(system: "thanos", component: "compactor", instance: instance, resolution: res,
                                                                setting: "--" + flag, raw: v.value, origin: origin(v.line)))
                } else if !hasExpansion {
                    out.append(try RetentionRules.zeroIsForever(system: "thanos", component: "compactor", instance: instance, resolution: res,
                                                                setting: "--" + flag, raw: "0d", origin: origin(nil), isDefault: true))
                }
            }
        }
        let isRule = words.contains("rule")
        if let v = flags["tsdb.retention"] {
            out.append(try RetentionRules.zeroIsForever(system: "thanos", component: isRule ? "ruler" : "receive", instance: instance,
                                                        setting: "--tsdb.retention", raw: v.value, origin: origin(v.line)))
        } else if words.contains("receive") || isRule, isThanos, !hasExpansion {
            out.append(try RetentionRules.zeroIsForever(system: "thanos", component: isRule ? "ruler" : "receive", instance: instance,
                                                        setting: "--tsdb.retention", raw: isRule ? "48h" : "15d", origin: origin(nil), isDefault: true))
        }
        if let enabled = flags["compactor.retention-enabled"] {
            let on = ["true", "1"].contains(enabled.value.lowercased())
            if !on {
                out.append(RetentionFinding(system: "loki", component: "compactor", instance: instance, unlimited: true,
                                            setting: "-compactor.retention-enabled", raw: enabled.value, origin: origin(enabled.line)))
            } else if let period = flags["store.retention"] {
                out.append(try RetentionRules.zeroIsForever(system: "loki", component: "compactor", instance: instance,
                                                            setting: "-store.retention", raw: period.value, origin: origin(period.line)))
            }
        }
        return out
    }

    /// Splits a text file (systemd unit, environment file, script) into command lines with line numbers:
    /// continuation backslashes join lines, quotes group words, `KEY="--a --b"` values are split again.
    static func commandLines(_ text: String) -> [(program: String?, args: [Arg], line: Int)] {
        var out: [(String?, [Arg], Int)] = []
        var pending: [Arg] = []
        var startLine = 0
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty { startLine = n + 1 }
            if line.hasPrefix("#") || line.hasPrefix(";") { if pending.isEmpty { continue } else { line = "" } }
            let continues = line.hasSuffix("\\")
            if continues { line.removeLast() }
            for word in shellWords(line) {
                if let eq = word.firstIndex(of: "="), word[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
                   !word.hasPrefix("-") {
                    let value = String(word[word.index(after: eq)...])
                    for w in shellWords(value) { pending.append(Arg(text: w, line: n + 1)) }
                } else {
                    pending.append(Arg(text: word, line: n + 1))
                }
            }
            if !continues {
                if !pending.isEmpty { out.append((pending.first?.text, pending, startLine)) }
                pending = []
            }
        }
        if !pending.isEmpty { out.append((pending.first?.text, pending, startLine)) }
        return out
    }

    /// Shell-like words: spaces separate, single and double quotes group, backslash escapes in double quotes.
    static func shellWords(_ s: String) -> [String] {
        var words: [String] = []
        var cur = ""
        var inWord = false
        var quote: Character?
        var escape = false
        for c in s {
            if escape { cur.append(c); escape = false; continue }
            if let q = quote {
                if c == q { quote = nil } else if c == "\\" && q == "\"" { escape = true } else { cur.append(c) }
                continue
            }
            if c == "'" || c == "\"" { quote = c; inWord = true; continue }
            if c == "\\" { escape = true; inWord = true; continue }
            if c == " " || c == "\t" {
                if inWord { words.append(cur); cur = ""; inWord = false }
                continue
            }
            cur.append(c)
            inWord = true
        }
        if inWord { words.append(cur) }
        return words
    }
}
