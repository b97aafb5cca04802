import Foundation
import VouchCore

/// Turns a declared rule's peer and ports into policy map keys, or names why it cannot.
struct PeerResolver {
    let identities: [Int64: LabelSet]
    private var cache: [String: Result<[Int64], Unsupported>] = [:]

    struct Unsupported: Error { var construct: String }

    init(identities: [Int64: LabelSet]) { self.identities = identities }

    /// The identities a peer stands for (0 = any identity).
    mutating func identities(for rule: PolicyInputs.Rule) -> Result<[Int64], Unsupported> {
        let key = rule.peerType + rule.peer.canonicalText + (rule.peerNamespace ?? "")
        if let hit = cache[key] { return hit }
        let r = resolve(rule)
        cache[key] = r
        return r
    }

    private func resolve(_ rule: PolicyInputs.Rule) -> Result<[Int64], Unsupported> {
        let peer = rule.peer
        func managed(_ match: (LabelSet) -> Bool) -> [Int64] {
            identities.filter { !$0.value.isReserved && match($0.value) }.map(\.key).sorted()
        }
        switch rule.peerType {
        case "all":
            return .success([0])
        case "pod", "endpoint":
            let sel = LabelSelector(peer)
            if let u = sel.unsupported { return .failure(Unsupported(construct: u)) }
            // Reserved identities are selected only by reserved labels (`reserved:host`).
            let ids = identities.filter { id in
                if let ns = rule.peerNamespace, id.value.namespace != ns { return false }
                return sel.matches(id.value.values)
            }.map(\.key).sorted()
            return .success(ids)
        case "namespace", "namespace_pod":
            let nsSel = LabelSelector(peer["namespaceSelector"] ?? (rule.peerType == "namespace" ? peer : .object([:])))
            let podSel = LabelSelector(peer["podSelector"] ?? .object([:]))
            return .success(managed { l in
                if let ns = rule.peerNamespace, l.namespace != ns { return false }
                return l.namespace != nil && nsSel.matches(l.namespaceLabels) && podSel.matches(l.values)
            })
        case "entity":
            let name = peer["entity"]?.stringValue ?? ""
            if name == "all" { return .success([0]) }
            if name == "cluster" {
                // Every identity inside the cluster: reserved ones but world, and every managed identity.
                return .success(([1, 3, 4, 5, 6, 7, 8] + managed { _ in true }).sorted())
            }
            guard let ids = ReservedIdentity.byEntity[name] else { return .failure(Unsupported(construct: "entity \(name)")) }
            return .success(ids.map(Int64.init))
        case "cidr":
            let cidr = peer["cidr"]?.stringValue ?? ""
            if let except = peer["except"]?.arrayValue, !except.isEmpty { return .failure(Unsupported(construct: "CIDR with except")) }
            let ids = identities.filter { $0.value.values["cidr:\(cidr)"] != nil }.map(\.key).sorted()
            if ids.isEmpty { return .failure(Unsupported(construct: "CIDR peer \(cidr) without a CIDR identity in the identity list")) }
            return .success(ids)
        default:
            return .failure(Unsupported(construct: "\(rule.peerType) peer (\(peer.canonicalText))"))
        }
    }

    /// (protocol, port, prefix) triples for a rule's ports; `ANY` with a port expands to TCP and UDP.
    static func ports(for rule: PolicyInputs.Rule) -> Result<[(Int64, Int64, Int64)], Unsupported> {
        if rule.allPorts || rule.ports.isEmpty { return .success([(0, 0, 0)]) }
        var out: [(Int64, Int64, Int64)] = []
        for p in rule.ports {
            if p["icmp_type"] != nil { return .failure(Unsupported(construct: "ICMP rule")) }
            let protoName = (p["protocol"]?.stringValue ?? "TCP").uppercased()
            if p["port"]?.stringValue != nil { return .failure(Unsupported(construct: "named port \(p["port"]!.stringValue!)")) }
            let port = p["port"]?.intValue ?? 0
            let end = p["end_port"]?.intValue ?? port
            let protos: [Int64]
            switch protoName {
            case "TCP": protos = [6]
            case "UDP": protos = [17]
            case "SCTP": protos = [132]
            case "ANY": protos = port == 0 ? [0] : [6, 17]
            default: return .failure(Unsupported(construct: "protocol \(protoName)"))
            }
            let blocks = port == 0 ? [(Int64(0), Int64(0))] : rangeBlocks(port, max(end, port))
            for pr in protos { for b in blocks { out.append((pr, pr == 0 ? 0 : b.0, pr == 0 ? 0 : b.1)) } }
        }
        return .success(out)
    }

    /// Splits a port range into the prefix-aligned blocks Cilium's LPM keys hold (start, prefix length).
    static func rangeBlocks(_ start: Int64, _ end: Int64) -> [(Int64, Int64)] {
        var out: [(Int64, Int64)] = []
        var s = start
        while s <= end {
            var size: Int64 = 1, bits: Int64 = 16
            while bits > 0, s % (size * 2) == 0, s + size * 2 - 1 <= end { size *= 2; bits -= 1 }
            out.append((s, bits))
            s += size
        }
        return out
    }

    static func protocolName(_ p: Int64) -> String {
        switch p {
        case 0: return "any"
        case 6: return "tcp"
        case 17: return "udp"
        case 132: return "sctp"
        case 1: return "icmp"
        case 58: return "icmpv6"
        default: return String(p)
        }
    }
}
