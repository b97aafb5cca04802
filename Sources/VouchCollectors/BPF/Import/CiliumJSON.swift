import Foundation
import VouchCore

/// Reads `cilium-dbg … -o json` outputs: endpoints, identities and policy map contents.
enum CiliumJSON {
    /// An endpoint from `cilium-dbg endpoint list -o json` (API model `Endpoint`).
    struct Endpoint {
        var id: Int64
        var identity: Int64?
        var namespace: String?
        var pod: String?
        var labels: [String]
        var state: String?
        var policyEnabled: String?
        var ipv4: String?
        var ipv6: String?

        var json: JSONValue {
            var o: [String: JSONValue] = ["id": .int(id), "labels": .array(labels.map(JSONValue.string))]
            o["identity"] = identity.map(JSONValue.int)
            o["namespace"] = namespace.map(JSONValue.string)
            o["pod"] = pod.map(JSONValue.string)
            o["state"] = state.map(JSONValue.string)
            o["policy_enabled"] = policyEnabled.map(JSONValue.string)
            o["ipv4"] = ipv4.map(JSONValue.string)
            o["ipv6"] = ipv6.map(JSONValue.string)
            return .object(o)
        }
    }

    static func endpoint(_ o: JSONValue) -> Endpoint? {
        guard let id = o["id"]?.intValue, let status = o["status"] else { return nil }
        let labels = (status["identity"]?["labels"]?.arrayValue?.compactMap(\.stringValue)
            ?? status["labels"]?["security-relevant"]?.arrayValue?.compactMap(\.stringValue) ?? []).sorted()
        let ext = status["external-identifiers"]
        let nsLabel = labels.first { $0.hasPrefix("k8s:io.kubernetes.pod.namespace=") }.map { String($0.split(separator: "=", maxSplits: 1)[1]) }
        let policy = status["policy"]?["realized"] ?? status["policy"]?["spec"]
        let addr = status["networking"]?["addressing"]?.arrayValue?.first
        return Endpoint(id: id, identity: status["identity"]?["id"]?.intValue,
                        namespace: ext?["k8s-namespace"]?.stringValue ?? nsLabel, pod: ext?["k8s-pod-name"]?.stringValue,
                        labels: labels, state: status["state"]?.stringValue,
                        policyEnabled: policy?["policy-enabled"]?.stringValue,
                        ipv4: addr?["ipv4"]?.stringValue, ipv6: addr?["ipv6"]?.stringValue)
    }

    /// An identity from `cilium-dbg identity list -o json` (`{id, labels[], labelsSHA256}`).
    static func identity(_ o: JSONValue) -> (id: Int64, labels: [String])? {
        guard let id = o["id"]?.intValue, let labels = o["labels"]?.arrayValue else { return nil }
        return (id, labels.compactMap(\.stringValue).sorted())
    }

    /// Splits `source:key=value` (the key itself may hold `:` and `/`; a reserved label has no value).
    static func splitLabel(_ label: String) -> (source: String?, key: String, value: String?) {
        var rest = Substring(label)
        var source: String?
        if let colon = rest.firstIndex(of: ":") {
            source = String(rest[..<colon])
            rest = rest[rest.index(after: colon)...]
        }
        if let eq = rest.firstIndex(of: "=") {
            return (source, String(rest[..<eq]), String(rest[rest.index(after: eq)...]))
        }
        return (source, String(rest), nil)
    }

    /// One entry of `cilium-dbg bpf policy get -o json` (Go field names, embedded structs flattened).
    ///
    /// `DestPortNetwork` and `ProxyPortNetwork` are the raw network-order u16 as Go read them
    /// on a little-endian host (port 80 shows as 20480): swapped back here.
    static func policyEntry(_ o: JSONValue, endpointID: Int64?) -> CiliumPolicyEntry? {
        guard let key = o["Key"], let identity = key["Identity"]?.intValue else { return nil }
        let rawPort = key["DestPortNetwork"]?.intValue ?? key["DestPort"]?.intValue ?? 0
        let port = UInt16(truncatingIfNeeded: rawPort).byteSwapped
        let proxyRaw = o["ProxyPortNetwork"]?.intValue ?? o["ProxyPort"]?.intValue ?? 0
        let flags = o["Flags"]?.intValue ?? 0
        var e = CiliumPolicyEntry(
            endpointID: endpointID, identity: UInt32(truncatingIfNeeded: identity),
            egress: (key["TrafficDirection"]?.intValue ?? 0) == 1, proto: UInt8(truncatingIfNeeded: key["Nexthdr"]?.intValue ?? 0),
            port: port, portPrefixLen: port == 0 ? 0 : 16, deny: flags & 1 == 1,
            proxyPort: UInt16(truncatingIfNeeded: proxyRaw).byteSwapped,
            authType: Int(o["AuthRequirement"]?.intValue ?? o["AuthType"]?.intValue ?? 0) & 0x7f,
            cookie: o["Cookie"]?.intValue.map { UInt32(truncatingIfNeeded: $0) }, layout: "cilium-dbg", keyHex: nil)
        if let prefix = key["Prefixlen"]?.intValue {
            let p = UInt32(clamping: prefix)
            if p < CiliumPolicyLayout.staticPrefix + 8 { e.proto = 0 }
            e.portPrefixLen = p > CiliumPolicyLayout.staticPrefix + 8 ? Int(min(p - CiliumPolicyLayout.staticPrefix - 8, 16)) : 0
            if e.portPrefixLen == 0 { e.port = 0 }
        }
        return e
    }

    /// The endpoint id of a policy map path (`…/cilium_policy_v2_00412` → 412).
    static func endpointID(path: String) -> Int64? {
        guard let name = path.split(separator: "/").last.map(String.init), let c = CiliumMaps.classify(name: name) else { return nil }
        return c.endpointID
    }
}
