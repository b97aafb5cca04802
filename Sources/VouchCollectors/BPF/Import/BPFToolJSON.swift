import Foundation
import VouchCore

/// Turns `bpftool … -j` objects into the records live enumeration produces.
enum BPFToolJSON {
    static func u32(_ v: JSONValue?) -> UInt32? { v?.intValue.flatMap { UInt32(exactly: $0) } }
    static func bool(_ v: JSONValue?) -> Bool? {
        if let b = v?.boolValue { return b }
        return v?.intValue.map { $0 != 0 }
    }
    static func strings(_ v: JSONValue?) -> [String] { v?.arrayValue?.compactMap(\.stringValue) ?? [] }

    /// `bpftool prog show -j` element.
    static func program(_ o: JSONValue) -> BPFProgramRecord? {
        guard let id = u32(o["id"]) else { return nil }
        var p = BPFProgramRecord(id: id, type: o["type"]?.stringValue ?? o["type"]?.intValue.map { String($0) } ?? "unknown")
        p.name = o["name"]?.stringValue
        p.tag = o["tag"]?.stringValue
        // JSON gives unix seconds; the plain output's local time would be ambiguous.
        p.loadedAt = o["loaded_at"]?.intValue.map { Timestamp.string(Date(timeIntervalSince1970: TimeInterval($0))) }
        p.uid = u32(o["uid"])
        p.gplCompatible = bool(o["gpl_compatible"])
        p.bytesXlated = u32(o["bytes_xlated"])
        p.jited = bool(o["jited"])
        p.bytesJited = u32(o["bytes_jited"])
        p.bytesMemlock = o["bytes_memlock"]?.intValue
        p.mapIDs = o["map_ids"]?.arrayValue?.compactMap { u32($0) } ?? []
        p.btfID = u32(o["btf_id"])
        p.runTimeNS = o["run_time_ns"]?.intValue.map { UInt64(clamping: $0) }
        p.runCount = o["run_cnt"]?.intValue.map { UInt64(clamping: $0) }
        p.recursionMisses = o["recursion_misses"]?.intValue.map { UInt64(clamping: $0) }
        p.verifiedInsns = u32(o["verified_insns"])
        p.pinned = strings(o["pinned"]).sorted()
        return p
    }

    /// `bpftool map show -j` element (or the header of a multi-map dump).
    static func map(_ o: JSONValue) -> BPFMapRecord? {
        guard let id = u32(o["id"]) else { return nil }
        var m = BPFMapRecord(id: id, type: o["type"]?.stringValue ?? o["type"]?.intValue.map { String($0) } ?? "unknown",
                             keySize: u32(o["bytes_key"]) ?? 0, valueSize: u32(o["bytes_value"]) ?? 0)
        m.name = o["name"]?.stringValue
        m.maxEntries = u32(o["max_entries"])
        m.flags = u32(o["flags"])
        m.frozen = bool(o["frozen"])
        m.btfID = u32(o["btf_id"])
        m.bytesMemlock = o["bytes_memlock"]?.intValue
        m.pinned = strings(o["pinned"]).sorted()
        return m
    }

    /// `bpftool link show -j` element (the doc example has no id: kept, with a NULL id).
    static func link(_ o: JSONValue) -> BPFLinkRecord? {
        guard o["type"] != nil, o["prog_id"] != nil else { return nil }
        var l = BPFLinkRecord(id: u32(o["id"]), type: o["type"]?.stringValue ?? o["type"]?.intValue.map { String($0) } ?? "unknown")
        l.progID = u32(o["prog_id"])
        l.attachType = o["attach_type"]?.stringValue
        l.ifindex = u32(o["ifindex"])
        l.cgroupID = o["cgroup_id"]?.intValue.map { UInt64(clamping: $0) }
        l.netnsIno = u32(o["netns_ino"])
        l.targetObjID = u32(o["target_obj_id"])
        l.targetBTFID = u32(o["target_btf_id"])
        l.mapID = u32(o["map_id"])
        for k in ["prog_type", "tp_name", "target_name", "devname", "pf", "hooknum", "priority"] where o[k] != nil { l.extra[k] = o[k] }
        l.pinned = strings(o["pinned"]).sorted()
        return l
    }

    /// A raw byte array as bpftool prints it (`["0x0a", …]`); nil when it is not one.
    static func bytes(_ v: JSONValue?) -> [UInt8]? {
        guard let a = v?.arrayValue else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(a.count)
        for e in a {
            guard let s = e.stringValue, let b = hexByte(s) else { return nil }
            out.append(b)
        }
        return out
    }

    /// `0x` and hex digits (either case) of a value up to 255, as bpftool writes a byte (`0x0a`); nil otherwise.
    static func hexByte(_ s: String) -> UInt8? {
        var s = s
        return s.withUTF8 { u -> UInt8? in
            guard u.count >= 3, u[0] == UInt8(ascii: "0"), u[1] == UInt8(ascii: "x") else { return nil }
            var v = 0
            for c in u[2...] {
                let d: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
                default: return nil
                }
                v = v << 4 | Int(d)
                if v > 255 { return nil }
            }
            return UInt8(v)
        }
    }

    /// One dumped map's entries, normalized.
    struct Dump {
        var contents: MapContents?
        var decoded: [JSONValue?] = []
        /// Entries bpftool could not read (`"value": {"error": …}`), with the reason.
        var lookupErrors: [String] = []
        /// Formatted-only output (no -j): decoded entries without raw bytes.
        var formattedOnly: [JSONValue] = []
        var perCPU = false
        var valueSize: Int?
    }

    enum DumpError: Error, LocalizedError {
        case inconsistent(entry: Int, reason: String)
        var errorDescription: String? {
            switch self {
            case .inconsistent(let n, let r): return "entry \(n + 1): \(r)"
            }
        }
    }

    /// Parses the elements of `bpftool map dump -j`.
    static func dump(_ elements: [JSONValue]) throws -> Dump {
        var d = Dump()
        var raw: [(key: [UInt8], value: [UInt8], decoded: JSONValue?)] = []
        for (n, e) in elements.enumerated() {
            guard let key = bytes(e["key"]) else {
                // No raw bytes: bpftool printed the BTF view only.
                d.formattedOnly.append(e)
                continue
            }
            if let err = e["value"]?["error"]?.stringValue {
                d.lookupErrors.append("key \(Hex.encode(key)): \(err)")
                continue
            }
            var value: [UInt8]
            if let v = bytes(e["value"]) {
                value = v
                d.valueSize = d.valueSize ?? v.count
            } else if let cpus = e["values"]?.arrayValue {
                d.perCPU = true
                value = []
                for c in cpus {
                    guard var v = bytes(c["value"]) else { throw DumpError.inconsistent(entry: n, reason: "a per-CPU value is not a byte array") }
                    d.valueSize = d.valueSize ?? v.count
                    // The kernel keeps each CPU's value 8-byte aligned; live reads include that padding, so imports do too.
                    v += [UInt8](repeating: 0, count: ((v.count + 7) & ~7) - v.count)
                    value += v
                }
            } else {
                throw DumpError.inconsistent(entry: n, reason: "it has a key but neither a value nor per-CPU values")
            }
            raw.append((key, value, e["formatted"]))
        }
        if !raw.isEmpty && !d.formattedOnly.isEmpty {
            throw DumpError.inconsistent(entry: 0, reason: "raw and formatted-only entries are mixed")
        }
        guard let first = raw.first else { return d }
        var c = MapContents(keySize: first.key.count, valueStride: first.value.count)
        for (n, r) in raw.enumerated() {
            guard r.key.count == c.keySize, r.value.count == c.valueStride else {
                throw DumpError.inconsistent(entry: n, reason: "key/value sizes \(r.key.count)/\(r.value.count) differ from the first entry's \(c.keySize)/\(c.valueStride)")
            }
            c.append(key: r.key, value: r.value)
            d.decoded.append(r.decoded)
        }
        d.contents = c
        return d
    }
}
