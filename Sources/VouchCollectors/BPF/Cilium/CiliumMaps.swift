import Foundation
import VouchCore

/// Recognizes Cilium's maps by name and decodes the layouts Vouch knows.
///
/// The kernel keeps 15 characters of a map name (`cilium_policy_v2_00412` becomes
/// `cilium_policy_v`), so the pinned file name is preferred; without a pin a policy map
/// is still recognized, but its endpoint id is unknown.
public enum CiliumMaps {
    public enum Kind: String, Sendable { case policy, ipcache, lxc, other }

    /// What a map is, and for a per-endpoint policy map its endpoint id.
    public static func classify(name: String) -> (kind: Kind, endpointID: Int64?)? {
        guard name.hasPrefix("cilium_") else { return nil }
        if name.hasPrefix("cilium_policy") && !name.hasPrefix("cilium_policys") {
            let digits = name.split(separator: "_").last.map(String.init) ?? ""
            if !digits.isEmpty, digits.allSatisfy(\.isNumber), name.count > 15 || digits.count == 5 {
                return (.policy, Int64(digits))
            }
            return (.policy, nil)
        }
        if name.hasPrefix("cilium_ipcache") { return (.ipcache, nil) }
        if name == "cilium_lxc" { return (.lxc, nil) }
        return (.other, nil)
    }

    /// Decodes an ipcache entry: `{cidr, identity, tunnel_endpoint, encrypt_key}`.
    static func decodeIPCache(key k: [UInt8], value v: [UInt8]) -> JSONValue? {
        guard k.count == 24, v.count >= 12 else { return nil }
        let prefix = Int(le32(k, 0))
        let family = k[7]
        let bits = max(0, prefix - 32)
        let addr = family == 1 ? ipv4(k, 8) : (family == 2 ? ipv6(k, 8) : nil)
        var o: [String: JSONValue] = ["identity": .int(Int64(le32(v, 0))), "cluster_id": .int(Int64(UInt16(k[4]) | UInt16(k[5]) << 8))]
        o["cidr"] = addr.map { .string("\($0)/\(bits)") }
        if v.count == 12 {
            o["tunnel_endpoint"] = .string(ipv4(v, 4))
            o["encrypt_key"] = .int(Int64(v[10]))
        } else if v.count >= 24 {
            let v6 = v[23] & 4 != 0
            o["tunnel_endpoint"] = .string(v6 ? ipv6(v, 4) : ipv4(v, 4))
            o["encrypt_key"] = .int(Int64(v[22]))
            o["flags"] = .int(Int64(v[23]))
        }
        return .object(o)
    }

    /// Decodes an endpoint (lxc) entry: `{ip, endpoint_id, ifindex, flags, mac, node_mac, identity}`.
    static func decodeLXC(key k: [UInt8], value v: [UInt8]) -> JSONValue? {
        guard k.count == 20, v.count >= 12 else { return nil }
        var o: [String: JSONValue] = [
            "ifindex": .int(Int64(le32(v, 0))), "endpoint_id": .int(Int64(UInt16(v[6]) | UInt16(v[7]) << 8)),
            "flags": .int(Int64(le32(v, 8))),
        ]
        o["ip"] = k[16] == 1 ? .string(ipv4(k, 0)) : (k[16] == 2 ? .string(ipv6(k, 0)) : nil)
        if v.count >= 36 {
            o["mac"] = .string(mac(v, 16))
            o["node_mac"] = .string(mac(v, 24))
            o["identity"] = .int(Int64(le32(v, 32)))
        }
        return .object(o)
    }

    /// Decodes any entry of a recognized map, for `bpf_map_entry.decoded`.
    static func decode(kind: Kind, endpointID: Int64?, key: [UInt8], value: [UInt8]) -> JSONValue? {
        switch kind {
        case .policy: return CiliumPolicyLayout.decode(key: key, value: value, endpointID: endpointID)?.json
        case .ipcache: return decodeIPCache(key: key, value: value)
        case .lxc: return decodeLXC(key: key, value: value)
        case .other: return nil
        }
    }

    static func le32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }

    static func ipv4(_ b: [UInt8], _ o: Int) -> String { "\(b[o]).\(b[o + 1]).\(b[o + 2]).\(b[o + 3])" }

    static func ipv6(_ b: [UInt8], _ o: Int) -> String {
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { for i in 0..<16 { $0[i] = b[o + i] } }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count)) != nil else { return Hex.encode(b[o..<(o + 16)]) }
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func mac(_ b: [UInt8], _ o: Int) -> String { b[o..<(o + 6)].map { String(format: "%02x", $0) }.joined(separator: ":") }
}
