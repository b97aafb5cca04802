import Crypto
import Foundation
import VouchCore

/// Every entry of one map, as fixed-size raw keys and values in two flat buffers.
///
/// Flat buffers keep a million entries at one allocation each (a 1M × 68-byte map is
/// ~68 MB, not a million small arrays). `order` sorts the entries by key bytes
/// (lexicographic, i.e. `memcmp`), the order the content hash is defined over, so the
/// same contents always give the same hash whatever order the kernel walked them in.
public struct MapContents: Sendable {
    public let keySize: Int
    /// Bytes per entry in `values` (per-CPU maps: every CPU's value, each padded to 8 bytes).
    public let valueStride: Int
    public internal(set) var keys: [UInt8] = []
    public internal(set) var values: [UInt8] = []
    public internal(set) var count = 0

    public init(keySize: Int, valueStride: Int) {
        self.keySize = keySize
        self.valueStride = valueStride
    }

    mutating func append(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        keys.append(contentsOf: key.prefix(keySize))
        values.append(contentsOf: value.prefix(valueStride))
        count += 1
    }

    public mutating func append(key: [UInt8], value: [UInt8]) {
        key.withUnsafeBytes { k in value.withUnsafeBytes { v in append(key: k, value: v) } }
    }

    mutating func appendBatch(keys k: UnsafeRawBufferPointer, values v: UnsafeRawBufferPointer, count n: Int) {
        keys.append(contentsOf: k.prefix(n * keySize))
        values.append(contentsOf: v.prefix(n * valueStride))
        count += n
    }

    public func key(_ i: Int) -> ArraySlice<UInt8> { keys[(i * keySize)..<((i + 1) * keySize)] }
    public func value(_ i: Int) -> ArraySlice<UInt8> { values[(i * valueStride)..<((i + 1) * valueStride)] }

    /// Entry indices sorted by key bytes.
    ///
    /// Sorts (first 8 key bytes as a big-endian integer, index) pairs, which orders most
    /// keys without touching memory again; only equal prefixes of longer keys compare the rest.
    public func sortedOrder() -> [Int32] {
        var pairs = [(UInt64, Int32)]()
        pairs.reserveCapacity(count)
        let ks = keySize
        keys.withUnsafeBytes { raw in
            for i in 0..<count {
                var p: UInt64 = 0
                for b in 0..<8 { p = (p << 8) | (b < ks ? UInt64(raw[i * ks + b]) : 0) }
                pairs.append((p, Int32(i)))
            }
        }
        if ks <= 8 {
            pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        } else {
            keys.withUnsafeBytes { raw in
                pairs.sort { a, b in
                    if a.0 != b.0 { return a.0 < b.0 }
                    let c = memcmp(raw.baseAddress! + Int(a.1) * ks + 8, raw.baseAddress! + Int(b.1) * ks + 8, ks - 8)
                    return c != 0 ? c < 0 : a.1 < b.1
                }
            }
        }
        return pairs.map(\.1)
    }

    /// The canonical content stream (key bytes then value bytes, entries in key order), in chunks.
    public func chunks(order: [Int32], chunkSize: Int = 1 << 20) -> AnyIterator<Data> {
        var next = 0
        let entry = keySize + valueStride
        let perChunk = max(1, chunkSize / max(entry, 1))
        return AnyIterator {
            guard next < order.count else { return nil }
            let end = min(order.count, next + perChunk)
            var data = Data(capacity: (end - next) * entry)
            keys.withUnsafeBytes { k in
                values.withUnsafeBytes { v in
                    for j in next..<end {
                        let i = Int(order[j])
                        data.append(k.baseAddress!.assumingMemoryBound(to: UInt8.self) + i * keySize, count: keySize)
                        if valueStride > 0 {
                            data.append(v.baseAddress!.assumingMemoryBound(to: UInt8.self) + i * valueStride, count: valueStride)
                        }
                    }
                }
            }
            next = end
            return data
        }
    }

    /// SHA-256 of the canonical content stream (all entries, whatever the cap).
    public func sha256(order: [Int32]) -> String {
        var h = SHA256()
        for chunk in chunks(order: order) { h.update(data: chunk) }
        return Hashing.hex(h.finalize())
    }
}

/// Fast lowercase hex for map bytes (entry rows hold hundreds of thousands of them).
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        func nib(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var i = 0
        while i < u.count {
            guard let hi = nib(u[i]), let lo = nib(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
