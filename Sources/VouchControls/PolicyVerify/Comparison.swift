import Foundation

/// The per-endpoint comparison of implied and enforced policy map entries.
enum Comparison {
    struct Expectation {
        var deny = false
        var proxy = false
        var policies: Set<String> = []
        var text: String { deny ? "deny" : (proxy ? "allow+proxy" : "allow") }
    }

    static func enforcedText(_ e: PolicyInputs.Enforced) -> String {
        e.deny ? "deny" : (e.proxyPort != 0 ? "allow+proxy:\(e.proxyPort)" : "allow")
    }

    static func rows(inputs: PolicyInputs, resolver: inout PeerResolver) -> [VerificationRow] {
        var out: [VerificationRow] = []
        for r in inputs.rules where r.subjectType != "pods" {
            out.append(VerificationRow(direction: r.direction, expected: r.deny ? "deny" : "allow", verdict: "unverified",
                                       policies: r.policyName, reason: "unsupported: host policy (nodeSelector) rules"))
        }
        var listed = Set<String>()
        for ep in inputs.endpoints {
            listed.insert(PolicyInputs.key(host: ep.host, endpoint: ep.id))
            out += verify(ep, inputs: inputs, resolver: &resolver)
        }
        // Policy maps of endpoints the endpoint list does not name: their labels are unknown.
        for key in inputs.enforced.keys.sorted() where !listed.contains(key) {
            let parts = key.split(separator: "\u{0}", maxSplits: 1)
            for (e, v) in inputs.enforced[key]!.sorted(by: { order($0.key, $1.key) }) {
                out.append(VerificationRow(host: String(parts[0]), endpointID: Int64(parts[1]), direction: e.direction, identity: e.identity,
                                           proto: e.proto, port: e.port, prefix: e.prefix, enforced: enforcedText(v), verdict: "unverified",
                                           reason: "the endpoint is not in the imported cilium-dbg endpoint list: its labels are unknown"))
            }
        }
        return out
    }

    static func order(_ a: PolicyInputs.Entry, _ b: PolicyInputs.Entry) -> Bool {
        (a.direction, a.identity, a.proto, a.port, a.prefix) < (b.direction, b.identity, b.proto, b.port, b.prefix)
    }

    static func verify(_ ep: PolicyInputs.Endpoint, inputs: PolicyInputs, resolver: inout PeerResolver) -> [VerificationRow] {
        var out: [VerificationRow] = []
        func row(_ e: PolicyInputs.Entry?, direction: String? = nil, expected: String?, enforced: String?, verdict: String,
                 policies: Set<String> = [], reason: String? = nil) -> VerificationRow {
            VerificationRow(host: ep.host, endpointID: ep.id, namespace: ep.namespace, pod: ep.pod, direction: e?.direction ?? direction,
                            identity: e?.identity, proto: e?.proto, port: e?.port, prefix: e?.prefix, expected: expected, enforced: enforced,
                            verdict: verdict, policies: policies.isEmpty ? nil : policies.sorted().joined(separator: ", "), reason: reason)
        }
        var expected: [PolicyInputs.Entry: Expectation] = [:]
        var enforcedDirections = Set<String>()
        var unverifiedDirections = Set<String>()
        for r in inputs.rules where r.subjectType == "pods" {
            guard r.namespace == nil || r.namespace == ep.namespace, r.subject.matches(ep.labels.values) else { continue }
            enforcedDirections.insert(r.direction)
            let ids: [Int64], ports: [(Int64, Int64, Int64)]
            switch (resolver.identities(for: r), PeerResolver.ports(for: r)) {
            case (.success(let i), .success(let p)): ids = i; ports = p
            case (.failure(let u), _), (_, .failure(let u)):
                unverifiedDirections.insert(r.direction)
                out.append(row(nil, direction: r.direction, expected: r.deny ? "deny" : "allow", enforced: nil, verdict: "unverified",
                               policies: [r.policyName], reason: "unsupported: \(u.construct)"))
                continue
            }
            for id in ids {
                for (proto, port, prefix) in ports {
                    let k = PolicyInputs.Entry(direction: r.direction, identity: id, proto: proto, port: port, prefix: prefix)
                    var x = expected[k] ?? Expectation()
                    x.deny = x.deny || r.deny
                    x.proxy = x.proxy || (r.l7 && !r.deny)
                    x.policies.insert(r.policyName)
                    expected[k] = x
                }
            }
        }
        // Deny wins: an allow a declared deny covers is not in the map.
        let denies = expected.filter { $0.value.deny }.map(\.key)
        for (k, x) in expected where !x.deny {
            if denies.contains(where: { d in
                d.direction == k.direction && (d.identity == 0 || d.identity == k.identity) && (d.proto == 0 || d.proto == k.proto)
                    && (d.prefix == 0 || (d.port == k.port && d.prefix <= k.prefix))
            }) { expected[k] = nil }
        }
        guard let enforced = inputs.enforced[PolicyInputs.key(host: ep.host, endpoint: ep.id)] else {
            for (k, x) in expected.sorted(by: { order($0.key, $1.key) }) {
                out.append(row(k, expected: x.text, enforced: nil, verdict: "unverified", policies: x.policies,
                               reason: "no policy map of this endpoint in the capture"))
            }
            return out
        }
        for (k, x) in expected.sorted(by: { order($0.key, $1.key) }) {
            guard let v = enforced[k] else {
                out.append(row(k, expected: x.text, enforced: nil, verdict: "missing", policies: x.policies,
                               reason: "declared, but the kernel's policy map has no such entry"))
                continue
            }
            var verdict = "match", reason: String?
            if x.deny != v.deny {
                verdict = "mismatch"; reason = x.deny ? "declared deny, enforced allow" : "declared allow, enforced deny"
            } else if x.proxy && v.proxyPort == 0 {
                verdict = "mismatch"; reason = "an L7 rule is declared but the entry has no proxy redirect"
            } else if !x.proxy && !x.deny && v.proxyPort != 0 {
                verdict = "mismatch"; reason = "traffic is redirected to a proxy no declared L7 rule asks for"
            }
            out.append(row(k, expected: x.text, enforced: enforcedText(v), verdict: verdict, policies: x.policies, reason: reason))
        }
        for (k, v) in enforced.sorted(by: { order($0.key, $1.key) }) where expected[k] == nil {
            if !v.deny, k.direction == "ingress", k.identity == 1, k.proto == 0, enforcedDirections.contains("ingress") {
                out.append(row(k, expected: nil, enforced: enforcedText(v), verdict: "implicit", reason: "Cilium allows the local host (allow-localhost)"))
            } else if !v.deny, k.identity == 0, k.proto == 0, !enforcedDirections.contains(k.direction) {
                out.append(row(k, expected: nil, enforced: enforcedText(v), verdict: "implicit",
                               reason: "no policy selects this endpoint for \(k.direction): Cilium allows all"))
            } else if unverifiedDirections.contains(k.direction) {
                out.append(row(k, expected: nil, enforced: enforcedText(v), verdict: "unverified",
                               reason: "may come from a rule outside the supported subset"))
            } else {
                out.append(row(k, expected: nil, enforced: enforcedText(v), verdict: "unexpected", reason: "enforced, declared nowhere"))
            }
        }
        return out
    }
}
