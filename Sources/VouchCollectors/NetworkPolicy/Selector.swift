import Foundation
import VouchCore

/// Canonical label selectors: the form `subject` and selector peers take in `policy_rule`.
///
/// `{"matchLabels": {k: v}, "matchExpressions": [{"key", "operator", "values"}]}` with empty parts
/// left out (so `{}` selects everything), label keys without Cilium's `k8s:` / `any:` source
/// prefixes (other sources such as `reserved:` stay), operators in Kubernetes' spelling
/// (`In`, `NotIn`, `Exists`, `DoesNotExist`), values sorted, expressions sorted.
struct LabelSelector: Equatable {
    var matchLabels: [String: String] = [:]
    var matchExpressions: [Expression] = []
    /// Keys the selector carried that are neither matchLabels nor matchExpressions (ignored, as Cilium does).
    var unknownKeys: [String] = []

    struct Expression: Equatable {
        var key: String
        var op: String
        var values: [String]
    }

    var isEmpty: Bool { matchLabels.isEmpty && matchExpressions.isEmpty }

    init() {}

    init(_ value: JSONValue?) {
        guard let o = value?.objectValue else { return }
        for (k, v) in o {
            switch k {
            case "matchLabels":
                for (lk, lv) in v.objectValue ?? [:] { matchLabels[Self.normalizeKey(lk)] = Self.text(lv) }
            case "matchExpressions":
                for e in v.arrayValue ?? [] {
                    guard let key = e["key"]?.stringValue else { continue }
                    let values = (e["values"]?.arrayValue ?? []).map(Self.text).sorted()
                    matchExpressions.append(Expression(key: Self.normalizeKey(key), op: Self.normalizeOperator(e["operator"]?.stringValue ?? ""),
                                                       values: values))
                }
            default: unknownKeys.append(k)
            }
        }
        matchExpressions.sort { ($0.key, $0.op, $0.values.joined(separator: "\u{0}")) < ($1.key, $1.op, $1.values.joined(separator: "\u{0}")) }
        unknownKeys.sort()
    }

    /// The canonical JSON value.
    var json: JSONValue {
        var o: [String: JSONValue] = [:]
        if !matchLabels.isEmpty { o["matchLabels"] = .object(matchLabels.mapValues { .string($0) }) }
        if !matchExpressions.isEmpty {
            o["matchExpressions"] = .array(matchExpressions.map {
                ["key": .string($0.key), "operator": .string($0.op), "values": .array($0.values.map { .string($0) })]
            })
        }
        return .object(o)
    }

    /// Strips Cilium's `k8s:` and `any:` label-source prefixes (both mean a Kubernetes label here).
    static func normalizeKey(_ key: String) -> String {
        if key.hasPrefix("k8s:") { return String(key.dropFirst(4)) }
        if key.hasPrefix("any:") { return String(key.dropFirst(4)) }
        return key
    }

    static func normalizeOperator(_ op: String) -> String {
        switch op.lowercased() {
        case "in": return "In"
        case "notin": return "NotIn"
        case "exists": return "Exists"
        case "doesnotexist": return "DoesNotExist"
        default: return op
        }
    }

    static func text(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .null: return ""
        default: return v.canonicalText
        }
    }

    /// Namespaces this selector confines itself to through a pod-namespace label, if it does.
    /// `exclude` lists namespaces a `NotIn` rules out. `others` says whether other constraints remain.
    func namespaceConstraint(labelKey: String) -> (only: Set<String>?, exclude: Set<String>, others: Bool) {
        var only: Set<String>?
        var exclude: Set<String> = []
        var others = false
        for (k, v) in matchLabels {
            if k == labelKey { only = (only ?? [v]).intersection([v]) } else { others = true }
        }
        for e in matchExpressions {
            guard e.key == labelKey else { others = true; continue }
            switch e.op {
            case "In": only = (only ?? Set(e.values)).intersection(e.values)
            case "NotIn": exclude.formUnion(e.values)
            case "Exists": break
            default: others = true
            }
        }
        return (only, exclude, others)
    }
}

/// Where a CIDR points: inside private/cluster ranges or out to the world.
enum CIDRClass {
    /// Whether the CIDR includes addresses outside the private, shared, loopback and link-local ranges.
    static func isWorld(_ cidr: String) -> Bool {
        let parts = cidr.split(separator: "/", maxSplits: 1)
        guard let addr = parts.first else { return true }
        let prefix = parts.count > 1 ? Int(parts[1]) : nil
        if addr.contains(":") {
            var a = in6_addr()
            guard inet_pton(AF_INET6, String(addr), &a) == 1 else { return true }
            let bytes = withUnsafeBytes(of: a) { Array($0) }
            let p = prefix ?? 128
            if p >= 7, bytes[0] & 0xFE == 0xFC { return false }             // fc00::/7 unique local
            if p >= 10, bytes[0] == 0xFE, bytes[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link local
            if p == 128, bytes.dropLast().allSatisfy({ $0 == 0 }), bytes[15] == 1 { return false }
            return true
        }
        var a = in_addr()
        guard inet_pton(AF_INET, String(addr), &a) == 1 else { return true }
        let ip = UInt32(bigEndian: a.s_addr)
        let p = prefix ?? 32
        let privateRanges: [(UInt32, Int)] = [(0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16), (0x6440_0000, 10),
                                              (0x7F00_0000, 8), (0xA9FE_0000, 16)]
        for (net, len) in privateRanges where p >= len {
            let mask: UInt32 = len == 0 ? 0 : ~UInt32(0) << (32 - len)
            if ip & mask == net { return false }
        }
        return true
    }
}
