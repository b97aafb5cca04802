import Foundation
import VouchCore

/// One decoded entry of a Cilium per-endpoint policy map.
public struct CiliumPolicyEntry: Sendable, Hashable {
    public var endpointID: Int64?
    public var identity: UInt32
    public var egress: Bool
    /// IP protocol; 0 = any.
    public var proto: UInt8
    /// Destination port in host byte order; 0 = any.
    public var port: UInt16
    /// 16 = exactly `port`, 0 = any port, in between = a port range by prefix.
    public var portPrefixLen: Int
    public var deny: Bool
    /// L7 proxy redirect port in host byte order; 0 = none.
    public var proxyPort: UInt16
    public var authType: Int
    public var cookie: UInt32?
    /// Which layout decoded it: `lpm12/v12` (current), `lpm12/v24` (1.14–1.15), `hash8/v24` (≤ 1.12).
    public var layout: String
    public var keyHex: String?

    public var direction: String { egress ? "egress" : "ingress" }

    var json: JSONValue {
        var o: [String: JSONValue] = [
            "identity": .int(Int64(identity)), "direction": .string(direction), "protocol": .int(Int64(proto)),
            "port": .int(Int64(port)), "port_prefix_len": .int(Int64(portPrefixLen)), "deny": .bool(deny),
            "proxy_port": .int(Int64(proxyPort)), "auth_type": .int(Int64(authType)), "layout": .string(layout),
        ]
        o["cookie"] = cookie.map { .int(Int64($0)) }
        o["endpoint_id"] = endpointID.map(JSONValue.int)
        return .object(o)
    }
}

/// Cilium's policy map layouts, chosen by key and value size (bpf/lib/policy.h across releases).
///
/// Ports (`dport`, `proxy_port`) are stored in network byte order whatever the host;
/// identities, prefix lengths and the cookie in host order (little-endian here).
public enum CiliumPolicyLayout {
    /// The LPM prefix length of a fully specified key: identity (32) + direction/pad (8) + protocol (8) + port (16).
    static let fullPrefix: UInt32 = 64
    static let staticPrefix: UInt32 = 40

    /// Whether a key/value size pair is a layout Vouch knows.
    public static func isKnown(keySize: Int, valueSize: Int) -> Bool {
        (keySize == 12 && (valueSize == 12 || valueSize == 24)) || (keySize == 8 && valueSize == 24)
    }

    /// Decodes one entry; nil when the sizes match no known layout.
    public static func decode<K: Collection, V: Collection>(key: K, value: V, endpointID: Int64?) -> CiliumPolicyEntry?
    where K.Element == UInt8, V.Element == UInt8 {
        let k = Array(key), v = Array(value)
        func le32(_ b: [UInt8], _ o: Int) -> UInt32 { UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24 }
        func be16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) << 8 | UInt16(b[o + 1]) }
        switch (k.count, v.count) {
        case (12, 12), (12, 24):
            let prefix = le32(k, 0)
            var e = CiliumPolicyEntry(
                endpointID: endpointID, identity: le32(k, 4), egress: k[8] & 1 == 1, proto: k[9], port: be16(k, 10),
                portPrefixLen: 0, deny: v[2] & 1 == 1, proxyPort: be16(v, 0), authType: 0, cookie: nil,
                layout: v.count == 12 ? "lpm12/v12" : "lpm12/v24", keyHex: Hex.encode(k))
            // The prefix covers identity and direction always; beyond 40 bits, the protocol, then the port's high bits.
            let protoBits = prefix > staticPrefix ? min(prefix - staticPrefix, 8) : 0
            if protoBits < 8 { e.proto = 0 }
            e.portPrefixLen = prefix > staticPrefix + 8 ? Int(min(prefix - staticPrefix - 8, 16)) : 0
            if v.count == 12 {
                e.authType = Int(v[3] & 0x7f)
                e.cookie = le32(v, 8)
            } else {
                // 1.14/1.15: flags bit 0 deny, bit 1 wildcard protocol, bit 2 wildcard port; auth in byte 3.
                e.authType = Int(v[3])
                if prefix == 0 {  // some builds kept the prefix only in the flags
                    if v[2] & 2 != 0 { e.proto = 0 }
                    e.portPrefixLen = v[2] & 4 != 0 ? 0 : 16
                }
            }
            if e.portPrefixLen == 0 { e.port = 0 }
            return e
        case (8, 24):
            // ≤ 1.12 hash map: {u32 identity; be16 dport; u8 protocol; u8 egress} → {be16 proxy_port; u8 deny; u8 auth; …}
            let port = be16(k, 4)
            return CiliumPolicyEntry(
                endpointID: endpointID, identity: le32(k, 0), egress: k[7] & 1 == 1, proto: k[6], port: port,
                portPrefixLen: port == 0 ? 0 : 16, deny: v[2] & 1 == 1, proxyPort: be16(v, 0), authType: Int(v[3]),
                cookie: nil, layout: "hash8/v24", keyHex: Hex.encode(k))
        default:
            return nil
        }
    }

    /// Encodes an entry in the current layout (tests and fixtures build byte-exact maps with it).
    public static func encodeCurrent(identity: UInt32, egress: Bool, proto: UInt8, port: UInt16, portPrefixLen: Int = 16,
                                     deny: Bool = false, proxyPort: UInt16 = 0, authType: UInt8 = 0, cookie: UInt32 = 0)
        -> (key: [UInt8], value: [UInt8]) {
        let prefix: UInt32 = proto == 0 ? staticPrefix : staticPrefix + 8 + UInt32(port == 0 ? 0 : portPrefixLen)
        var k = [UInt8](repeating: 0, count: 12)
        for i in 0..<4 { k[i] = UInt8(truncatingIfNeeded: prefix >> (8 * i)); k[4 + i] = UInt8(truncatingIfNeeded: identity >> (8 * i)) }
        k[8] = egress ? 1 : 0
        k[9] = proto
        k[10] = UInt8(port >> 8); k[11] = UInt8(port & 0xff)
        var v = [UInt8](repeating: 0, count: 12)
        v[0] = UInt8(proxyPort >> 8); v[1] = UInt8(proxyPort & 0xff)
        let lpm = UInt8(prefix - staticPrefix)
        v[2] = (deny ? 1 : 0) | (lpm << 3)
        v[3] = authType & 0x7f
        for i in 0..<4 { v[8 + i] = UInt8(truncatingIfNeeded: cookie >> (8 * i)) }
        return (k, v)
    }
}
