import Foundation
import VouchCore

/// Cilium/Kubernetes labels of an identity or endpoint, keyed as `policy_rule` selectors spell them:
/// `k8s:`/`any:` sources dropped (`k8s:app=web` → `app`), other sources kept (`reserved:host`).
struct LabelSet: Sendable, Hashable {
    var values: [String: String] = [:]

    init(_ labels: [String]) {
        for l in labels {
            var rest = Substring(l)
            var source = ""
            if let colon = rest.firstIndex(of: ":") {
                source = String(rest[..<colon])
                rest = rest[rest.index(after: colon)...]
            }
            let key: Substring, value: String
            if let eq = rest.firstIndex(of: "=") { key = rest[..<eq]; value = String(rest[rest.index(after: eq)...]) } else { key = rest; value = "" }
            let k = (source.isEmpty || source == "k8s" || source == "any") ? String(key) : "\(source):\(key)"
            values[k] = value
        }
    }

    var namespace: String? { values["io.kubernetes.pod.namespace"] }

    /// The namespace's own labels, as Cilium copies them onto pod identities.
    var namespaceLabels: [String: String] {
        var out: [String: String] = [:]
        let prefix = "io.cilium.k8s.namespace.labels."
        for (k, v) in values where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
        if let ns = namespace, out["kubernetes.io/metadata.name"] == nil { out["kubernetes.io/metadata.name"] = ns }
        return out
    }

    var isReserved: Bool { values.keys.contains { $0.hasPrefix("reserved:") } }
}

/// A `matchLabels` + `matchExpressions` selector in `policy_rule`'s canonical JSON.
struct LabelSelector: Sendable {
    var matchLabels: [String: String] = [:]
    var expressions: [(key: String, op: String, values: [String])] = []
    /// Keys the verifier cannot evaluate (none today; reserved for future operators).
    var unsupported: String?

    init(_ json: JSONValue) {
        for (k, v) in json["matchLabels"]?.objectValue ?? [:] { matchLabels[k] = v.stringValue ?? v.canonicalText }
        for e in json["matchExpressions"]?.arrayValue ?? [] {
            let op = e["operator"]?.stringValue ?? ""
            if !["In", "NotIn", "Exists", "DoesNotExist"].contains(op) { unsupported = "selector operator \(op)" }
            expressions.append((e["key"]?.stringValue ?? "", op, e["values"]?.arrayValue?.compactMap(\.stringValue) ?? []))
        }
    }

    func matches(_ labels: [String: String]) -> Bool {
        for (k, v) in matchLabels where labels[k] != v { return false }
        for e in expressions {
            let v = labels[e.key]
            switch e.op {
            case "In": if v == nil || !e.values.contains(v!) { return false }
            case "NotIn": if let v, e.values.contains(v) { return false }
            case "Exists": if v == nil { return false }
            case "DoesNotExist": if v != nil { return false }
            default: return false
            }
        }
        return true
    }

    var isEmpty: Bool { matchLabels.isEmpty && expressions.isEmpty }
}

/// Cilium's reserved identities by entity name (pkg/identity numbering).
enum ReservedIdentity {
    static let byEntity: [String: [UInt32]] = [
        "host": [1], "world": [2], "world-ipv4": [9], "world-ipv6": [10], "unmanaged": [3], "health": [4],
        "init": [5], "remote-node": [6], "kube-apiserver": [7], "ingress": [8],
    ]
}
