import Crypto
import Foundation

/// SHA-256 helpers: every hash in the store is lower-case hex.
public enum Hashing {
    public static let zeroSeal = String(repeating: "0", count: 64)

    public static func sha256Hex(_ data: Data) -> String { hex(SHA256.hash(data: data)) }
    public static func sha256Hex(_ text: String) -> String { sha256Hex(Data(text.utf8)) }
    public static func sha256Hex(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let table = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in digest {
            out.append(table[Int(b >> 4)])
            out.append(table[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// An incremental SHA-256 over length-prefixed fields, so that field boundaries
/// can never be shifted to forge the same digest from other values.
public struct FieldHasher {
    private var h = SHA256()
    public init(domain: String) { add(domain) }

    public mutating func add(_ s: String) { add(bytes: Array(s.utf8), tag: 0x73) }
    public mutating func add(_ i: Int64) { add(bytes: Array(String(i).utf8), tag: 0x69) }
    public mutating func add(optional s: String?) {
        if let s { add(s) } else { add(bytes: [], tag: 0x6E) }
    }
    public mutating func add(bytes: [UInt8], tag: UInt8 = 0x62) {
        var header: [UInt8] = [tag]
        var n = UInt64(bytes.count).bigEndian
        withUnsafeBytes(of: &n) { header.appendBytes($0) }
        h.update(data: header)
        h.update(data: bytes)
    }
    public mutating func add(raw: UnsafeRawBufferPointer, tag: UInt8 = 0x62) {
        var header: [UInt8] = [tag]
        var n = UInt64(raw.count).bigEndian
        withUnsafeBytes(of: &n) { header.appendBytes($0) }
        h.update(data: header)
        h.update(bufferPointer: raw)
    }
    /// Feeds bytes that already hold whole fields (tag, length, content, as `add` writes them),
    /// for callers that frame many small fields into one buffer.
    public mutating func addFramed(_ raw: UnsafeRawBufferPointer) { h.update(bufferPointer: raw) }
    public func finalizeHex() -> String { Hashing.hex(h.finalize()) }
}

extension Array where Element == UInt8 {
    /// Appends raw bytes with one copy (`append(contentsOf:)` goes byte by byte over a raw buffer).
    @inlinable mutating func appendBytes(_ raw: UnsafeRawBufferPointer) {
        raw.withMemoryRebound(to: UInt8.self) { append(contentsOf: $0) }
    }
}
