import CLibBPF
import Foundation
import VouchCore

/// Decodes raw map keys and values to JSON through the map's BTF, the way bpftool's
/// `formatted` view does: integers as numbers, printable `char[]` as strings, other arrays
/// as arrays, structs and unions as objects keyed by field name, enums by enumerator name,
/// bitfields as numbers, sections (`.bss`, `.data`) as `{section: [{var: value}]}`.
final class BTFDecoder {
    private let btf: OpaquePointer
    private static let maxDepth = 32

    /// Loads a kernel BTF object by id; nil when the kernel does not hand it out.
    init?(btfID: UInt32) {
        guard let b = btf__load_from_kernel_by_id(btfID) else { return nil }
        btf = b
    }

    deinit { btf__free(btf) }

    /// Decodes `bytes` as BTF type `typeID`; nil when the type is not decodable or the bytes are short.
    func decode(typeID: UInt32, bytes: UnsafeRawBufferPointer) -> JSONValue? {
        decode(typeID, bytes, depth: 0)
    }

    private struct TypeInfo {
        let kind: UInt32, vlen: Int, kflag: Bool, sizeOrType: UInt32, name: String, extra: UnsafeRawPointer
    }

    private func info(_ id: UInt32) -> TypeInfo? {
        guard let t = btf__type_by_id(btf, id) else { return nil }
        let i = t.pointee.info
        let name = btf__name_by_offset(btf, t.pointee.name_off).map { String(cString: $0) } ?? ""
        return TypeInfo(kind: (i >> 24) & 0x1f, vlen: Int(i & 0xffff), kflag: i >> 31 == 1,
                        sizeOrType: t.pointee.size, name: name, extra: UnsafeRawPointer(t) + 12)
    }

    private func u32(_ p: UnsafeRawPointer, _ index: Int) -> UInt32 { p.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self) }

    private func decode(_ id: UInt32, _ bytes: UnsafeRawBufferPointer, depth: Int) -> JSONValue? {
        guard depth < Self.maxDepth, let t = info(id) else { return nil }
        switch t.kind {
        case 1:  // INT
            let enc = u32(t.extra, 0)
            let bits = Int(enc & 0xff), offset = Int((enc >> 16) & 0xff), encoding = (enc >> 24) & 0xf
            guard Int(t.sizeOrType) <= bytes.count else { return nil }
            if bits > 64 { return .string("0x" + Hex.encode(bytes.prefix(Int(t.sizeOrType)).reversed())) }
            let raw = Self.bits(bytes, bitOffset: offset, bitCount: bits)
            if encoding & 4 != 0 { return .bool(raw != 0) }
            if encoding & 1 != 0 { return .int(Self.signExtend(raw, bits: bits)) }
            return raw <= UInt64(Int64.max) ? .int(Int64(raw)) : .string(String(raw))
        case 2:  // PTR
            return bytes.count >= 8 ? .int(Int64(bitPattern: bytes.loadUnaligned(as: UInt64.self))) : nil
        case 3:  // ARRAY
            let elem = u32(t.extra, 0), n = Int(u32(t.extra, 2))
            let size = Int(btf__resolve_size(btf, elem))
            guard size > 0, size * n <= bytes.count else { return n == 0 ? .array([]) : nil }
            if size == 1, isCharLike(elem), let s = Self.printableString(bytes.prefix(n)) { return .string(s) }
            var out: [JSONValue] = []
            for k in 0..<n {
                out.append(decode(elem, UnsafeRawBufferPointer(rebasing: bytes[(k * size)..<((k + 1) * size)]), depth: depth + 1) ?? .null)
            }
            return .array(out)
        case 4, 5:  // STRUCT, UNION
            var o: [String: JSONValue] = [:]
            for m in 0..<t.vlen {
                let nameOff = u32(t.extra, m * 3), mtype = u32(t.extra, m * 3 + 1), off = u32(t.extra, m * 3 + 2)
                let bitSize = t.kflag ? Int(off >> 24) : 0
                let bitOffset = Int(t.kflag ? off & 0xffffff : off)
                let name = btf__name_by_offset(btf, nameOff).map { String(cString: $0) } ?? ""
                let value: JSONValue?
                if bitSize > 0 || bitOffset % 8 != 0 {
                    let width = bitSize > 0 ? bitSize : Int(btf__resolve_size(btf, mtype)) * 8
                    value = bitOffset + width <= bytes.count * 8 ? .int(Int64(bitPattern: Self.bits(bytes, bitOffset: bitOffset, bitCount: width))) : nil
                } else {
                    let start = bitOffset / 8
                    value = start <= bytes.count ? decode(mtype, UnsafeRawBufferPointer(rebasing: bytes[start...]), depth: depth + 1) : nil
                }
                if name.isEmpty, case .object(let inner)? = value {
                    o.merge(inner) { a, _ in a }  // anonymous struct/union: its fields belong to the parent
                } else {
                    o[name.isEmpty ? "_\(m)" : name] = value ?? .null
                }
            }
            return .object(o)
        case 6, 19:  // ENUM, ENUM64
            let size = Int(t.sizeOrType)
            guard size <= bytes.count, size > 0 else { return nil }
            let raw = Self.bits(bytes, bitOffset: 0, bitCount: size * 8)
            for e in 0..<t.vlen {
                let stride = t.kind == 6 ? 2 : 3
                let v: UInt64 = t.kind == 6 ? UInt64(u32(t.extra, e * stride + 1))
                    : UInt64(u32(t.extra, e * stride + 1)) | UInt64(u32(t.extra, e * stride + 2)) << 32
                let mask: UInt64 = size >= 8 ? ~0 : (1 << (size * 8)) - 1
                if v & mask == raw, let n = btf__name_by_offset(btf, u32(t.extra, e * stride)) { return .string(String(cString: n)) }
            }
            return .int(Int64(bitPattern: raw))
        case 8, 9, 10, 11, 18:  // TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG
            return decode(t.sizeOrType, bytes, depth: depth + 1)
        case 14:  // VAR
            return decode(t.sizeOrType, bytes, depth: depth + 1)
        case 15:  // DATASEC
            var vars: [JSONValue] = []
            for v in 0..<t.vlen {
                let varID = u32(t.extra, v * 3), off = Int(u32(t.extra, v * 3 + 1)), size = Int(u32(t.extra, v * 3 + 2))
                guard off + size <= bytes.count, let vt = info(varID) else { continue }
                let value = decode(varID, UnsafeRawBufferPointer(rebasing: bytes[off..<(off + size)]), depth: depth + 1) ?? .null
                vars.append(.object([vt.name: value]))
            }
            return .object([t.name: .array(vars)])
        case 16:  // FLOAT
            if t.sizeOrType == 4, bytes.count >= 4 { return .double(Double(Float(bitPattern: bytes.loadUnaligned(as: UInt32.self)))) }
            if t.sizeOrType == 8, bytes.count >= 8 { return .double(Double(bitPattern: bytes.loadUnaligned(as: UInt64.self))) }
            return nil
        default:
            return nil
        }
    }

    /// Whether a type resolves to a one-byte character integer (`char`, `signed char`, `unsigned char`).
    private func isCharLike(_ id: UInt32) -> Bool {
        var cur = id
        for _ in 0..<Self.maxDepth {
            guard let t = info(cur) else { return false }
            if [8, 9, 10, 11, 18].contains(t.kind) { cur = t.sizeOrType; continue }
            guard t.kind == 1, t.sizeOrType == 1 else { return false }
            return (u32(t.extra, 0) >> 24) & 2 != 0 || t.name.contains("char")
        }
        return false
    }

    /// A NUL-terminated run of printable ASCII filling the array's start, else nil.
    static func printableString(_ bytes: Slice<UnsafeRawBufferPointer>) -> String? {
        guard let nul = bytes.firstIndex(of: 0) else { return nil }
        let s = bytes[bytes.startIndex..<nul]
        guard s.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        return String(decoding: s, as: UTF8.self)
    }

    /// Little-endian bit extraction (x86 and arm64 both store BTF data little-endian).
    static func bits(_ bytes: UnsafeRawBufferPointer, bitOffset: Int, bitCount: Int) -> UInt64 {
        guard bitCount > 0 else { return 0 }
        var v: UInt64 = 0
        for i in 0..<min(bitCount, 64) {
            let bit = bitOffset + i
            guard bit / 8 < bytes.count else { break }
            if bytes[bit / 8] >> (bit % 8) & 1 == 1 { v |= 1 << UInt64(i) }
        }
        return v
    }

    static func signExtend(_ v: UInt64, bits: Int) -> Int64 {
        guard bits > 0, bits < 64 else { return Int64(bitPattern: v) }
        let shift = UInt64(64 - bits)
        return Int64(bitPattern: v << shift) >> Int64(shift)
    }
}
