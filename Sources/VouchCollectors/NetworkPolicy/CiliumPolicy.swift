import Foundation
import VouchCore

/// Cilium `cilium.io/v2` CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy semantics.
///
/// - One object holds one rule set in `spec` and/or several in `specs`; each selects endpoints
///   (`endpointSelector`, pods) or nodes (`nodeSelector`, host policy).
/// - A direction is isolated (default deny) as soon as its `ingress`/`ingressDeny` (or egress) key is
///   present, unless `enableDefaultDeny.<direction>` is false.
/// - Within a rule the L3 peers (`fromEndpoints`, `fromEntities`, `fromCIDR`, `fromCIDRSet`, `toFQDNs`,
///   `toServices`, `fromNodes`, `fromGroups`…) are alternatives: one row each. A rule with only
///   `toPorts`/`icmps` allows every peer on those ports; an empty rule (`{}`) allows nothing.
/// - Each `toPorts` entry is its own port group with its L7 rules (`http`, `dns`, `kafka`, `l7proto`).
/// - In a namespaced policy, endpoint selectors without a namespace label are confined to the policy's namespace.
enum CiliumPolicy {
    static let namespaceLabel = "io.kubernetes.pod.namespace"
    static let worldEntities: Set<String> = ["world", "all", "world-ipv4", "world-ipv6"]

    static func normalize(_ object: JSONValue, kind: String, namespace: String?, name: String) throws -> NormalizedPolicy {
        var specs: [JSONValue] = []
        if let spec = object["spec"], spec != .null { specs.append(spec) }
        specs.append(contentsOf: object["specs"]?.asList ?? [])
        guard !specs.isEmpty else {
            throw PolicyShapeError(message: "\(kind) \(name) has neither spec nor specs; add `spec: {endpointSelector: {}, ingress: [...]}`")
        }
        return try normalize(specs: specs, kind: kind, namespace: namespace, name: name, clusterwide: namespace == nil)
    }

    /// Rule sets as `cilium policy import` takes them (a bare JSON/YAML list of rules).
    static func normalize(specs: [JSONValue], kind: String, namespace: String?, name: String, clusterwide: Bool) throws -> NormalizedPolicy {
        var policy = NormalizedPolicy(kind: kind, namespace: namespace, name: name, clusterwide: clusterwide,
                                      subjects: [], rows: [], warnings: [])
        for (specIndex, spec) in specs.enumerated() {
            guard let o = spec.objectValue else {
                throw PolicyShapeError(message: "spec \(specIndex) of \(kind) \(name) is not a mapping")
            }
            let isNode = o["nodeSelector"] != nil && o["endpointSelector"] == nil
            let selector = LabelSelector(isNode ? o["nodeSelector"] : o["endpointSelector"])
            if !selector.unknownKeys.isEmpty {
                policy.warnings.append("spec \(specIndex): selector has unknown keys \(selector.unknownKeys.joined(separator: ", ")) (ignored, as Cilium does: the selector matches more than it seems to)")
            }
            if o["nodeSelector"] == nil && o["endpointSelector"] == nil {
                policy.warnings.append("spec \(specIndex): neither endpointSelector nor nodeSelector; Cilium rejects such a rule")
            }
            var enforces: Set<String> = []
            for dir in ["ingress", "egress"] where o.keys.contains(dir) || o.keys.contains(dir + "Deny") {
                if o["enableDefaultDeny"]?[dir]?.boolValue != false { enforces.insert(dir) }
            }
            policy.subjects.append(PolicySubject(selector: selector, type: isNode ? "nodes" : "pods", enforces: enforces))
            let subjectAll = subjectSelectsAll(selector, clusterwide: clusterwide)
            for (key, direction, action) in [("ingress", "ingress", "allow"), ("ingressDeny", "ingress", "deny"),
                                             ("egress", "egress", "allow"), ("egressDeny", "egress", "deny")] {
                for (index, rule) in (o[key]?.asList ?? []).enumerated() {
                    guard rule == .null || rule.objectValue != nil else {
                        throw PolicyShapeError(message: "spec \(specIndex) \(key)[\(index)] is not a mapping")
                    }
                    let peers = try peers(rule, direction: direction, namespace: clusterwide ? nil : namespace)
                    if peers.isEmpty { continue }  // `{}` or only fromRequires: matches nothing
                    let auth = rule["auth"]?["type"].flatMap { $0.stringValue ?? $0.canonicalText }
                    for group in portGroups(rule) {
                        for p in peers {
                            policy.rows.append(PolicyRuleRow(
                                specIndex: specIndex, ruleIndex: index, direction: direction, action: action,
                                subject: selector.json, subjectType: isNode ? "nodes" : "pods", subjectAll: subjectAll,
                                peerType: p.type, peer: p.peer, peerNamespace: p.ns, peerWorld: p.world,
                                ports: group.ports, l7: group.l7, auth: auth))
                        }
                    }
                }
            }
        }
        return policy
    }

    /// Whether the selector picks every endpoint in its scope (a namespace, or the cluster).
    static func subjectSelectsAll(_ s: LabelSelector, clusterwide: Bool) -> Bool {
        if s.isEmpty { return true }
        if clusterwide { return false }
        let c = s.namespaceConstraint(labelKey: namespaceLabel)
        return !c.others
    }

    typealias Peer = (type: String, peer: JSONValue, ns: String?, world: Bool)

    private static func peers(_ rule: JSONValue, direction: String, namespace: String?) throws -> [Peer] {
        let p = direction == "ingress" ? "from" : "to"
        var out: [Peer] = []
        for sel in rule[p + "Endpoints"]?.asList ?? [] {
            let s = LabelSelector(sel)
            let c = s.namespaceConstraint(labelKey: namespaceLabel)
            let ns = c.only?.count == 1 ? c.only!.first : (c.only == nil && c.exclude.isEmpty ? namespace : nil)
            out.append(("endpoint", s.json, ns, false))
        }
        for e in rule[p + "Entities"]?.asList ?? [] {
            let name = (e.stringValue ?? e.canonicalText).lowercased()
            out.append(("entity", ["entity": .string(name)], nil, worldEntities.contains(name)))
        }
        for c in rule[p + "CIDR"]?.asList ?? [] {
            let cidr = c.stringValue ?? c.canonicalText
            out.append(("cidr", ["cidr": .string(cidr)], nil, CIDRClass.isWorld(cidr)))
        }
        for c in rule[p + "CIDRSet"]?.asList ?? [] {
            if let cidr = c["cidr"]?.stringValue {
                var peer: [String: JSONValue] = ["cidr": .string(cidr)]
                let except = (c["except"]?.asList ?? []).compactMap(\.stringValue).sorted()
                if !except.isEmpty { peer["except"] = .array(except.map { .string($0) }) }
                out.append(("cidr", .object(peer), nil, CIDRClass.isWorld(cidr)))
            } else {
                out.append(("group", c, nil, true))  // cidrGroupRef / cidrGroupSelector: addresses defined elsewhere
            }
        }
        for g in rule[p + "Groups"]?.asList ?? [] { out.append(("group", g, nil, true)) }
        for n in rule[p + "Nodes"]?.asList ?? [] { out.append(("node", LabelSelector(n).json, nil, false)) }
        if direction == "egress" {
            for f in rule["toFQDNs"]?.asList ?? [] { out.append(("fqdn", f, nil, true)) }
            for s in rule["toServices"]?.asList ?? [] { out.append(("service", s, nil, false)) }
        }
        if out.isEmpty, !(rule["toPorts"]?.asList ?? []).isEmpty || !(rule["icmps"]?.asList ?? []).isEmpty {
            out.append(("all", .object([:]), nil, true))
        }
        return out
    }

    private static func portGroups(_ rule: JSONValue) -> [(ports: [JSONValue], l7: JSONValue?)] {
        var groups: [(ports: [JSONValue], l7: JSONValue?)] = []
        for tp in rule["toPorts"]?.asList ?? [] {
            let ports = (tp["ports"]?.asList ?? []).map {
                PolicyPorts.entry(port: $0["port"], endPort: $0["endPort"], protocol: $0["protocol"], defaultProtocol: "ANY")
            }
            var l7: [String: JSONValue] = [:]
            for (k, v) in tp["rules"]?.objectValue ?? [:] where v != .null {
                l7[k.lowercased() == "l7proto" ? "l7proto" : k.lowercased()] = v
            }
            for extra in ["serverNames", "listener", "terminatingTLS", "originatingTLS"] {
                if let v = tp[extra], v != .null { l7[extra] = v }
            }
            groups.append((ports, l7.isEmpty ? nil : .object(l7)))
        }
        for icmp in rule["icmps"]?.asList ?? [] {
            let fields = (icmp["fields"]?.asList ?? []).map { f -> JSONValue in
                ["port": .null, "end_port": .null, "protocol": (f["family"]?.stringValue == "IPv6") ? "ICMPV6" : "ICMP",
                 "icmp_type": f["type"] ?? .null, "family": f["family"] ?? "IPv4"]
            }
            groups.append((fields, nil))
        }
        return groups.isEmpty ? [([], nil)] : groups
    }
}
