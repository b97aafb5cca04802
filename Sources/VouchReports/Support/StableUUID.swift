import Crypto
import Foundation
import VouchCore

/// Name-based UUIDs (RFC 4122 version 5 layout) derived from a report's inputs, never random:
/// the same store gives the same OSCAL identifiers, so documents diff cleanly and links stay valid.
public enum StableUUID {
    /// The namespace every Vouch UUID hangs from (itself a v5 UUID of the name "vouch.dev/oscal").
    static let namespace: [UInt8] = [
        0x5c, 0x0e, 0x2b, 0x34, 0x9a, 0x1f, 0x5d, 0x61, 0x8b, 0x73, 0x40, 0x2e, 0x6d, 0x1c, 0x95, 0xa8,
    ]

    /// A v5 UUID from the namespace and the parts (joined with a separator that cannot occur in them
    /// ambiguously: each part is length-prefixed).
    public static func make(_ parts: String...) -> String { make(parts: parts) }

    public static func make(parts: [String]) -> String {
        var name = [UInt8]()
        for p in parts {
            name += Array(String(p.utf8.count).utf8)
            name.append(0x3A)
            name += Array(p.utf8)
        }
        var sha = Insecure.SHA1()
        sha.update(data: namespace)
        sha.update(data: name)
        var b = Array(sha.finalize().prefix(16))
        b[6] = (b[6] & 0x0F) | 0x50
        b[8] = (b[8] & 0x3F) | 0x80
        let hex = Array(Hashing.hex(b).utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, c) in hex.enumerated() {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(0x2D) }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
