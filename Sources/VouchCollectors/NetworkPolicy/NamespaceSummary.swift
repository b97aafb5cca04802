import Foundation
import VouchCore

/// Computes `namespace_policy`: for every known namespace, which policies apply and what they declare.
///
/// - default deny (per direction): some applying policy selects every pod of the namespace and isolates
///   that direction (NetworkPolicy `policyTypes`; Cilium: the direction's key is present).
/// - allows world: some applying allow rule has a peer outside the cluster (no peer at all, `world`/`all`
///   entities, a public CIDR, an FQDN, a CIDR group), unless a deny rule for the whole namespace denies
///   the world in that direction.
/// - allow all: an allow rule for every pod of the namespace, from every peer, on every port, and no deny rule.
/// - policy_count: distinct policy objects applying; a clusterwide policy applies to every namespace its
///   endpoint selector admits (a pod-namespace label narrows it; node policies apply to none).
struct NamespaceSummary {
    struct Known {
        var knownFrom: String
        var labels: [String: String] = [:]
        var evidenceID: Int64?
    }

    struct Row: Equatable {
        var namespace: String
        var defaultDenyIngress = false, defaultDenyEgress = false
        var allowsWorldIngress = false, allowsWorldEgress = false
        var allowAllIngress = false, allowAllEgress = false
        var policyCount = 0
        var knownFrom: String
        var evidenceID: Int64?
    }

    var namespaces: [String: Known] = [:]

    mutating func know(_ name: String, from: String, labels: [String: String] = [:], evidenceID: Int64? = nil) {
        if var k = namespaces[name] {
            if from == "namespace" { k.labels = labels; k.evidenceID = evidenceID; k.knownFrom = from }
            namespaces[name] = k
        } else {
            namespaces[name] = Known(knownFrom: from, labels: labels, evidenceID: evidenceID)
        }
    }

    /// Namespaces a clusterwide subject admits, and whether it covers every pod there.
    func admitted(_ s: PolicySubject) -> [(String, Bool)] {
        guard s.type == "pods" else { return [] }
        let c = s.selector.namespaceConstraint(labelKey: CiliumPolicy.namespaceLabel)
        var out: [(String, Bool)] = []
        for (name, known) in namespaces {
            if let only = c.only, !only.contains(name) { continue }
            if c.exclude.contains(name) { continue }
            // Namespace-label selectors (io.cilium.k8s.namespace.labels.X) match the Namespace object's labels.
            var others = false
            var rejected = false
            for (k, v) in s.selector.matchLabels where k != CiliumPolicy.namespaceLabel {
                let prefix = "io.cilium.k8s.namespace.labels."
                if k.hasPrefix(prefix), !known.labels.isEmpty {
                    if known.labels[String(k.dropFirst(prefix.count))] != v { rejected = true }
                } else {
                    others = true
                }
            }
            if rejected { continue }
            out.append((name, !others && !c.others))
        }
        return out
    }

    /// The summary rows, sorted by namespace.
    func rows(_ policies: [NormalizedPolicy]) -> [Row] {
        var rows: [String: Row] = [:]
        for (name, k) in namespaces { rows[name] = Row(namespace: name, knownFrom: k.knownFrom, evidenceID: k.evidenceID) }
        for policy in policies {
            // namespace → whether each spec covers all of it
            var applies: [String: [Int: Bool]] = [:]
            for (i, s) in policy.subjects.enumerated() {
                if policy.clusterwide {
                    for (ns, all) in admitted(s) { applies[ns, default: [:]][i] = all }
                } else if let ns = policy.namespace, s.type == "pods" {
                    applies[ns, default: [:]][i] = policy.kind == "NetworkPolicy" ? s.selector.isEmpty
                        : CiliumPolicy.subjectSelectsAll(s.selector, clusterwide: false)
                }
            }
            for (ns, specs) in applies {
                guard var row = rows[ns] else { continue }
                row.policyCount += 1
                for (i, all) in specs where all {
                    if policy.subjects[i].enforces.contains("ingress") { row.defaultDenyIngress = true }
                    if policy.subjects[i].enforces.contains("egress") { row.defaultDenyEgress = true }
                }
                for dir in ["ingress", "egress"] {
                    let mine = policy.rows.filter { $0.direction == dir && specs[$0.specIndex] != nil }
                    let world = mine.contains { $0.action == "allow" && $0.peerWorld }
                    let all = mine.contains { r in
                        r.action == "allow" && specs[r.specIndex] == true && PolicyPorts.isAll(r.ports) && r.l7 == nil
                            && (r.peerType == "all" || r.peer == ["entity": "all"])
                    }
                    if dir == "ingress" {
                        row.allowsWorldIngress = row.allowsWorldIngress || world
                        row.allowAllIngress = row.allowAllIngress || all
                    } else {
                        row.allowsWorldEgress = row.allowsWorldEgress || world
                        row.allowAllEgress = row.allowAllEgress || all
                    }
                }
                rows[ns] = row
            }
        }
        // Deny rules win over allows (Cilium): a namespace-wide deny of the world or of everything clears the flags.
        for policy in policies {
            for r in policy.rows where r.action == "deny" && r.subjectAll {
                let namespaces = policy.clusterwide ? Array(rows.keys) : [policy.namespace].compactMap { $0 }
                for ns in namespaces {
                    guard var row = rows[ns] else { continue }
                    if policy.clusterwide, !admitted(policy.subjects[r.specIndex]).contains(where: { $0.0 == ns && $0.1 }) { continue }
                    let deniesWorld = PolicyPorts.isAll(r.ports) && (r.peerType == "all" || r.peer == ["entity": "world"] || r.peer == ["entity": "all"]
                        || r.peer == ["cidr": "0.0.0.0/0"])
                    if r.direction == "ingress" {
                        row.allowAllIngress = false
                        if deniesWorld { row.allowsWorldIngress = false }
                    } else {
                        row.allowAllEgress = false
                        if deniesWorld { row.allowsWorldEgress = false }
                    }
                    rows[ns] = row
                }
            }
        }
        return rows.values.sorted { $0.namespace < $1.namespace }
    }
}
