import Foundation

/// The per-endpoint comparison of implied and enforced policy map entries.
///
/// Endpoints with the same namespace and labels are selected by the same rules, so what the rules
/// imply is computed once per label set; each endpoint's map is then merged with it in key order.
enum Comparison {
    typealias Entry = PolicyInputs.Entry

    struct Expectation {
        var deny = false
        var proxy = false
        /// Indices of the declaring policies in `Policies.names` (sorted by name), ascending.
        var policies: [Int32] = []
        var code: VerificationWriter.Expected { deny ? .deny : (proxy ? .allowProxy : .allow) }
    }

    /// What the rules selecting one label set imply.
    struct Implied {
        /// Sorted by key; deny wins already applied. `policies` is the declaring policies' text.
        var expected: [(key: Entry, x: Expectation, policies: String)] = []
        /// Directions some selecting rule isolates (by `Entry.dir`), and those with an unsupported rule.
        var enforcedDirections: [Bool] = [false, false]
        var unverifiedDirections: [Bool] = [false, false]
        /// Rules outside the supported subset: (direction, deny, policy, construct), in rule order.
        var unsupported: [(direction: String, deny: Bool, policy: String, construct: String)] = []
    }

    /// Policy names interned in name order, and the text of each set of them.
    struct Policies {
        var names: [String]
        var index: [String: Int32]
        var texts: [[Int32]: String] = [:]

        init(_ rules: [PolicyInputs.Rule]) {
            names = Set(rules.map(\.policyName)).sorted()
            index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Int32($0)) })
        }

        mutating func text(_ set: [Int32]) -> String {
            if let t = texts[set] { return t }
            let t = set.map { names[Int($0)] }.joined(separator: ", ")
            texts[set] = t
            return t
        }
    }

    static func run(inputs: PolicyInputs, resolver: inout PeerResolver, writer: inout VerificationWriter) throws {
        for r in inputs.rules where r.subjectType != "pods" {
            try writer.row(direction: r.direction, entry: nil, expected: r.deny ? .deny : .allow, enforced: nil, verdict: .unverified,
                           policies: r.policyName, reason: "unsupported: host policy (nodeSelector) rules")
        }
        var policies = Policies(inputs.rules)
        let rules = inputs.rules.indices.filter { inputs.rules[$0].subjectType == "pods" }
        var resolved: [Int: Result<([Int64], [(Int64, Int64, Int64)]), PeerResolver.Unsupported>] = [:]
        var implied: [GroupKey: Implied] = [:]
        var listed = Set<PolicyInputs.HostEndpoint>()
        for ep in inputs.endpoints {
            listed.insert(PolicyInputs.HostEndpoint(host: ep.host, endpoint: ep.id))
            let g = GroupKey(namespace: ep.namespace, labels: ep.labels)
            if implied[g] == nil {
                implied[g] = imply(g, inputs: inputs, rules: rules, resolver: &resolver, resolved: &resolved, policies: &policies)
            }
            writer.endpoint(host: ep.host, endpointID: ep.id, namespace: ep.namespace, pod: ep.pod)
            try verify(implied[g]!, map: inputs.enforced(host: ep.host, endpoint: ep.id), writer: &writer)
        }
        // Policy maps of endpoints the endpoint list does not name: their labels are unknown.
        let unlisted = inputs.maps.filter { !listed.contains(PolicyInputs.HostEndpoint(host: $0.host, endpoint: $0.endpointID)) }
            .map { (sortKey: "\($0.host)\u{0}\($0.endpointID)", map: $0) }
            .sorted { $0.sortKey < $1.sortKey }
        for (_, m) in unlisted {
            writer.endpoint(host: m.host, endpointID: m.endpointID, namespace: nil, pod: nil)
            for (e, v) in m.entries() {
                try writer.row(direction: nil, entry: e, expected: nil, enforced: v, verdict: .unverified, policies: nil,
                               reason: "the endpoint is not in the imported cilium-dbg endpoint list: its labels are unknown")
            }
        }
    }

    struct GroupKey: Hashable {
        var namespace: String?
        var labels: LabelSet
    }

    static func imply(_ g: GroupKey, inputs: PolicyInputs, rules: [Int], resolver: inout PeerResolver,
                      resolved: inout [Int: Result<([Int64], [(Int64, Int64, Int64)]), PeerResolver.Unsupported>],
                      policies: inout Policies) -> Implied {
        var out = Implied()
        var expected: [Entry: Expectation] = [:]
        for i in rules {
            let r = inputs.rules[i]
            guard r.namespace == nil || r.namespace == g.namespace, r.subject.matches(g.labels.values) else { continue }
            let dir = Int(Entry.dir(r.direction))
            out.enforcedDirections[dir] = true
            if resolved[i] == nil {
                switch (resolver.identities(for: r), PeerResolver.ports(for: r)) {
                case (.success(let ids), .success(let ports)): resolved[i] = .success((ids, ports))
                case (.failure(let u), _), (_, .failure(let u)): resolved[i] = .failure(u)
                }
            }
            let ids: [Int64], ports: [(Int64, Int64, Int64)]
            switch resolved[i]! {
            case .success(let v): (ids, ports) = v
            case .failure(let u):
                out.unverifiedDirections[dir] = true
                out.unsupported.append((r.direction, r.deny, r.policyName, u.construct))
                continue
            }
            let policy = policies.index[r.policyName]!
            let l7 = r.l7 && !r.deny
            for id in ids {
                for (proto, port, prefix) in ports {
                    let k = Entry(dir: UInt8(dir), identity: id, proto: proto, port: port, prefix: prefix)
                    var x = expected[k] ?? Expectation()
                    x.deny = x.deny || r.deny
                    x.proxy = x.proxy || l7
                    if let at = x.policies.firstIndex(where: { $0 >= policy }) {
                        if x.policies[at] != policy { x.policies.insert(policy, at: at) }
                    } else {
                        x.policies.append(policy)
                    }
                    expected[k] = x
                }
            }
        }
        // Deny wins: an allow a declared deny covers is not in the map.
        let denies = expected.filter { $0.value.deny }.map(\.key)
        if !denies.isEmpty {
            for (k, x) in expected where !x.deny {
                if denies.contains(where: { d in
                    d.dir == k.dir && (d.identity == 0 || d.identity == k.identity) && (d.proto == 0 || d.proto == k.proto)
                        && (d.prefix == 0 || (d.port == k.port && d.prefix <= k.prefix))
                }) { expected[k] = nil }
            }
        }
        out.expected = expected.sorted { $0.key < $1.key }.map { ($0.key, $0.value, policies.text($0.value.policies)) }
        return out
    }

    static func verify(_ implied: Implied, map: PolicyInputs.PolicyMap?, writer: inout VerificationWriter) throws {
        for u in implied.unsupported {
            try writer.row(direction: u.direction, entry: nil, expected: u.deny ? .deny : .allow, enforced: nil, verdict: .unverified,
                           policies: u.policy, reason: "unsupported: \(u.construct)")
        }
        guard let map else {
            for (k, x, p) in implied.expected {
                try writer.row(direction: nil, entry: k, expected: x.code, enforced: nil, verdict: .unverified, policies: p,
                               reason: "no policy map of this endpoint in the capture")
            }
            return
        }
        let enforced = map.entries()
        // Both sides are sorted by key: one walk finds each expected key's entry, another the entries nothing declares.
        var j = 0
        for (k, x, p) in implied.expected {
            while j < enforced.count, enforced[j].key < k { j += 1 }
            guard j < enforced.count, enforced[j].key == k else {
                try writer.row(direction: nil, entry: k, expected: x.code, enforced: nil, verdict: .missing, policies: p,
                               reason: "declared, but the kernel's policy map has no such entry")
                continue
            }
            let v = enforced[j].value
            var verdict = VerificationWriter.Verdict.match, reason: String?
            if x.deny != v.deny {
                verdict = .mismatch; reason = x.deny ? "declared deny, enforced allow" : "declared allow, enforced deny"
            } else if x.proxy && v.proxyPort == 0 {
                verdict = .mismatch; reason = "an L7 rule is declared but the entry has no proxy redirect"
            } else if !x.proxy && !x.deny && v.proxyPort != 0 {
                verdict = .mismatch; reason = "traffic is redirected to a proxy no declared L7 rule asks for"
            }
            try writer.row(direction: nil, entry: k, expected: x.code, enforced: v, verdict: verdict, policies: p, reason: reason)
        }
        var i = 0
        let expected = implied.expected
        for (k, v) in enforced {
            while i < expected.count, expected[i].key < k { i += 1 }
            if i < expected.count, expected[i].key == k { continue }
            let dir = Int(k.dir)
            if !v.deny, k.dir == 1, k.identity == 1, k.proto == 0, implied.enforcedDirections[1] {
                try writer.row(direction: nil, entry: k, expected: nil, enforced: v, verdict: .implicit, policies: nil,
                               reason: "Cilium allows the local host (allow-localhost)")
            } else if !v.deny, k.identity == 0, k.proto == 0, !implied.enforcedDirections[dir] {
                try writer.row(direction: nil, entry: k, expected: nil, enforced: v, verdict: .implicit, policies: nil,
                               reason: k.dir == 1 ? "no policy selects this endpoint for ingress: Cilium allows all"
                                   : "no policy selects this endpoint for egress: Cilium allows all")
            } else if implied.unverifiedDirections[dir] {
                try writer.row(direction: nil, entry: k, expected: nil, enforced: v, verdict: .unverified, policies: nil,
                               reason: "may come from a rule outside the supported subset")
            } else {
                try writer.row(direction: nil, entry: k, expected: nil, enforced: v, verdict: .unexpected, policies: nil,
                               reason: "enforced, declared nowhere")
            }
        }
    }
}
