import Foundation
import VouchCore

/// Kubernetes `networking.k8s.io/v1` NetworkPolicy semantics.
///
/// - `podSelector: {}` (or null) selects every pod of the namespace.
/// - `policyTypes` says which directions isolate; when absent, Ingress always, Egress only when
///   the policy has egress rules. Rules of a direction not in `policyTypes` have no effect (warned).
/// - A rule without `from`/`to` (e.g. `ingress: [{}]`) allows every peer, in and out of the cluster;
///   a rule without `ports` allows every port. `ingress: []` allows nothing: pure isolation.
/// - Peers: `podSelector` alone = pods of the policy's namespace; `namespaceSelector` alone = every pod
///   of the selected namespaces; both = the selected pods of the selected namespaces; `ipBlock` = a CIDR
///   (with `except`). Ports default to TCP.
enum KubernetesPolicy {
    static func normalize(_ object: JSONValue, namespace: String, name: String) throws -> NormalizedPolicy {
        guard let spec = object["spec"]?.objectValue else {
            throw PolicyShapeError(message: "NetworkPolicy \(namespace)/\(name) has no spec mapping; add `spec: {podSelector: {}}` or fix the indentation")
        }
        var warnings: [String] = []
        let selector = LabelSelector(spec["podSelector"])
        if !selector.unknownKeys.isEmpty {
            warnings.append("podSelector has unknown keys \(selector.unknownKeys.joined(separator: ", ")) (ignored)")
        }
        let ingressRules = spec["ingress"]?.asList ?? []
        let egressRules = spec["egress"]?.asList ?? []
        var types: Set<String> = []
        if let listed = spec["policyTypes"]?.asList, !listed.isEmpty {
            for t in listed {
                switch t.stringValue?.lowercased() {
                case "ingress": types.insert("ingress")
                case "egress": types.insert("egress")
                default: warnings.append("unknown policyType \(t.canonicalText) (ignored)")
                }
            }
        } else {
            types.insert("ingress")
            if !egressRules.isEmpty { types.insert("egress") }
        }
        var rows: [PolicyRuleRow] = []
        for (direction, rules, peerKey) in [("ingress", ingressRules, "from"), ("egress", egressRules, "to")] {
            guard types.contains(direction) else {
                if !rules.isEmpty { warnings.append("\(direction) rules present but policyTypes omits \(direction.capitalized): they have no effect") }
                continue
            }
            for (index, rule) in rules.enumerated() {
                guard rule == .null || rule.objectValue != nil else {
                    throw PolicyShapeError(message: "\(direction)[\(index)] is not a mapping; each rule is `{\(peerKey): [...], ports: [...]}`")
                }
                let ports = (rule["ports"]?.asList ?? []).map {
                    PolicyPorts.entry(port: $0["port"], endPort: $0["endPort"], protocol: $0["protocol"], defaultProtocol: "TCP")
                }
                let peerList = rule[peerKey]?.asList ?? []
                let peers = peerList.isEmpty ? [(type: "all", peer: JSONValue.object([:]), ns: String?.none, world: true)]
                    : try peerList.map { try peer($0, policyNamespace: namespace, direction: direction, index: index) }
                for p in peers {
                    rows.append(PolicyRuleRow(
                        specIndex: 0, ruleIndex: index, direction: direction, action: "allow", subject: selector.json,
                        subjectType: "pods", subjectAll: selector.isEmpty, peerType: p.type, peer: p.peer,
                        peerNamespace: p.ns, peerWorld: p.world, ports: ports, l7: nil, auth: nil))
                }
            }
        }
        return NormalizedPolicy(kind: "NetworkPolicy", namespace: namespace, name: name, clusterwide: false,
                                subjects: [PolicySubject(selector: selector, type: "pods", enforces: types)],
                                rows: rows, warnings: warnings)
    }

    private static func peer(_ p: JSONValue, policyNamespace: String, direction: String, index: Int) throws
        -> (type: String, peer: JSONValue, ns: String?, world: Bool)
    {
        guard let o = p.objectValue else {
            throw PolicyShapeError(message: "\(direction)[\(index)] has a peer that is not a mapping (\(p.canonicalText))")
        }
        if let block = o["ipBlock"] {
            guard let cidr = block["cidr"]?.stringValue else {
                throw PolicyShapeError(message: "\(direction)[\(index)] ipBlock has no cidr; write `ipBlock: {cidr: 10.0.0.0/8}`")
            }
            let except = (block["except"]?.asList ?? []).compactMap(\.stringValue).sorted()
            var peer: [String: JSONValue] = ["cidr": .string(cidr)]
            if !except.isEmpty { peer["except"] = .array(except.map { .string($0) }) }
            return ("cidr", .object(peer), nil, CIDRClass.isWorld(cidr))
        }
        let pods = o.keys.contains("podSelector") ? LabelSelector(o["podSelector"]) : nil
        let namespaces = o.keys.contains("namespaceSelector") ? LabelSelector(o["namespaceSelector"]) : nil
        switch (namespaces, pods) {
        case let (ns?, pods?):
            let only = ns.namespaceConstraint(labelKey: "kubernetes.io/metadata.name")
            return ("namespace_pod", ["namespaceSelector": ns.json, "podSelector": pods.json],
                    only.only?.count == 1 && !only.others ? only.only!.first : nil, false)
        case let (ns?, nil):
            let only = ns.namespaceConstraint(labelKey: "kubernetes.io/metadata.name")
            return ("namespace", ns.json, only.only?.count == 1 && !only.others ? only.only!.first : nil, false)
        case let (nil, pods?):
            return ("pod", pods.json, policyNamespace, false)
        default:
            throw PolicyShapeError(message: "\(direction)[\(index)] has a peer with none of podSelector, namespaceSelector, ipBlock (keys: \(o.keys.sorted().joined(separator: ", ")))")
        }
    }
}
