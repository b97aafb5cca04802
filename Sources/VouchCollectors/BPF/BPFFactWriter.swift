import Foundation
import GRDB
import VouchCore

/// Writes programs, maps (with contents), links and Cilium policy entries as items and facts.
///
/// Live enumeration and imported bpftool JSON both end here, so both give the same facts.
struct BPFFactWriter {
    let sink: CaptureSink
    let host: String
    let origin: String
    /// Entry rows kept per map; the content hash always covers every entry.
    let entryCap: Int

    static let defaultEntryCap = 100_000

    /// Prepared inserts for the per-entry tables (millions of rows for a cluster's policy maps).
    private let inserts: BPFInserts

    init(sink: CaptureSink, host: String, origin: String, entryCap: Int) {
        self.sink = sink
        self.host = host
        self.origin = origin
        self.entryCap = entryCap
        inserts = BPFInserts(sink.db)
    }

    @discardableResult
    func program(_ p: BPFProgramRecord, from: String) throws -> Int64 {
        let subject = p.pinned.first ?? "prog \(p.name ?? "(unnamed)") #\(p.id)"
        let id = try sink.add(EvidenceItem(kind: "bpf.program", subject: subject, origin: from, data: p.json))
        try sink.insertFact("bpf_program", [
            "evidence_id": id, "host": host, "prog_id": Int64(p.id), "type": p.type, "name": p.name, "tag": p.tag,
            "loaded_at": p.loadedAt, "uid": p.uid.map { Int64($0) }, "gpl_compatible": p.gplCompatible.map { $0 ? 1 : 0 },
            "bytes_xlated": p.bytesXlated.map { Int64($0) }, "bytes_jited": p.bytesJited.map { Int64($0) },
            "jited": p.jited.map { $0 ? 1 : 0 }, "bytes_memlock": p.bytesMemlock,
            "map_ids": p.mapIDs.isEmpty ? nil : JSONValue.array(p.mapIDs.map { .int(Int64($0)) }).canonicalText,
            "btf_id": p.btfID.map { Int64($0) }, "run_time_ns": p.runTimeNS.map { Int64(clamping: $0) },
            "run_cnt": p.runCount.map { Int64(clamping: $0) }, "recursion_misses": p.recursionMisses.map { Int64(clamping: $0) },
            "verified_insns": p.verifiedInsns.map { Int64($0) }, "pinned": Self.pinnedText(p.pinned), "origin": origin,
        ])
        for m in p.mapIDs {
            try sink.insertFact("bpf_program_map", ["host": host, "prog_id": Int64(p.id), "map_id": Int64(m)])
        }
        for path in p.pinned { try pin(path, type: "prog", id: p.id) }
        return id
    }

    @discardableResult
    func link(_ l: BPFLinkRecord, from: String) throws -> Int64 {
        let subject = l.pinned.first ?? "link \(l.type) #\(l.id.map(String.init) ?? "?") prog \(l.progID.map(String.init) ?? "?")"
        let id = try sink.add(EvidenceItem(kind: "bpf.link", subject: subject, origin: from, data: l.json))
        try sink.insertFact("bpf_link", [
            "evidence_id": id, "host": host, "link_id": l.id.map { Int64($0) }, "type": l.type, "prog_id": l.progID.map { Int64($0) },
            "attach_type": l.attachType, "target": l.target, "ifindex": l.ifindex.map { Int64($0) },
            "cgroup_id": l.cgroupID.map { Int64(clamping: $0) }, "netns_ino": l.netnsIno.map { Int64($0) },
            "target_obj_id": l.targetObjID.map { Int64($0) }, "target_btf_id": l.targetBTFID.map { Int64($0) },
            "map_id": l.mapID.map { Int64($0) }, "pinned": Self.pinnedText(l.pinned), "origin": origin,
        ])
        if let lid = l.id { for path in l.pinned { try pin(path, type: "link", id: lid) } }
        return id
    }

    /// What a map's contents gave, for the item and the facts.
    struct ContentSummary {
        var entryCount: Int?
        var sha256: String?
        var truncated = false
        var note: String?
        var method: String?
        var blob: String?
    }

    /// Writes one map with its contents (nil when unreadable, `note` says why).
    /// `decode(i)` gives entry `i`'s decoded JSON (BTF, a known layout, or bpftool's `formatted`).
    /// A map id of 0 (never a kernel id) stands for an imported dump whose map is unknown: stored as NULL.
    /// `formattedOnly` holds the entries of an imported BTF-only dump (no raw bytes to fingerprint).
    @discardableResult
    func map(_ m: BPFMapRecord, contents: MapContents?, method: String?, note: String?, from: String,
             formattedOnly: [JSONValue] = [], decode: (Int) -> JSONValue?) throws -> Int64 {
        let cilium = CiliumMaps.classify(name: m.displayName)
        var summary = ContentSummary(note: note, method: method)
        if contents == nil, !formattedOnly.isEmpty { summary.entryCount = formattedOnly.count }
        var order: [Int32] = []
        if let contents {
            order = contents.sortedOrder()
            summary.entryCount = contents.count
            summary.truncated = contents.count > entryCap
            if summary.truncated {
                summary.sha256 = contents.sha256(order: order)
            } else {
                // The raw artifact of a map is its canonical content stream; its SHA-256 is the content hash.
                let chunks = ChunkSource(contents.chunks(order: order))
                let blob = try sink.storeBlob(streaming: { chunks.next() })
                summary.sha256 = blob.sha256
                summary.blob = blob.sha256
            }
        }
        var data = m.json.objectValue ?? [:]
        data["entry_count"] = summary.entryCount.map { .int(Int64($0)) }
        data["content_sha256"] = summary.sha256.map(JSONValue.string)
        data["truncated"] = contents == nil ? nil : .bool(summary.truncated)
        data["contents_note"] = summary.note.map(JSONValue.string)
        data["read_method"] = summary.method.map(JSONValue.string)
        if let cilium {
            data["cilium_kind"] = .string(cilium.kind.rawValue)
            data["endpoint_id"] = cilium.endpointID.map(JSONValue.int)
        }
        let subject = m.pinned.first ?? "map \(m.name ?? "(unnamed)") #\(m.id == 0 ? "?" : String(m.id))"
        let mapID: Int64? = m.id == 0 ? nil : Int64(m.id)
        let itemID = try sink.add(EvidenceItem(kind: "bpf.map", subject: subject, origin: from, data: .object(data), blobSHA256: summary.blob))
        try sink.insertFact("bpf_map", [
            "evidence_id": itemID, "host": host, "map_id": mapID, "type": m.type, "name": m.name,
            "key_size": Int64(m.keySize), "value_size": Int64(m.valueSize), "max_entries": m.maxEntries.map { Int64($0) },
            "flags": m.flags.map { Int64($0) }, "frozen": m.frozen.map { $0 ? 1 : 0 }, "btf_id": m.btfID.map { Int64($0) },
            "btf_key_type_id": m.btfKeyTypeID.map { Int64($0) }, "btf_value_type_id": m.btfValueTypeID.map { Int64($0) },
            "bytes_memlock": m.bytesMemlock, "pinned": Self.pinnedText(m.pinned),
            "entry_count": summary.entryCount.map { Int64($0) }, "content_sha256": summary.sha256,
            "truncated": contents == nil ? nil : (summary.truncated ? 1 : 0), "contents_note": summary.note,
            "cilium_kind": cilium?.kind.rawValue, "endpoint_id": cilium?.endpointID, "origin": origin,
        ])
        if mapID != nil { for path in m.pinned { try pin(path, type: "map", id: m.id) } }
        for (seq, e) in formattedOnly.prefix(entryCap).enumerated() {
            try sink.insertFact("bpf_map_entry", ["evidence_id": itemID, "host": host, "map_id": mapID, "seq": Int64(seq),
                                                  "key_hex": nil, "value_hex": nil, "decoded": e.canonicalText])
        }
        guard let contents else { return itemID }
        try writeEntries(contents, order: order, map: m, mapID: mapID, itemID: itemID, cilium: cilium, decode: decode)
        return itemID
    }

    private func writeEntries(_ contents: MapContents, order: [Int32], map m: BPFMapRecord, mapID: Int64?, itemID: Int64,
                              cilium: (kind: CiliumMaps.Kind, endpointID: Int64?)?, decode: (Int) -> JSONValue?) throws {
        let insert = try inserts.mapEntry.get()
        for (seq, idx) in order.prefix(entryCap).enumerated() {
            let i = Int(idx)
            let decoded = decode(i) ?? cilium.flatMap { c in
                CiliumMaps.decode(kind: c.kind, endpointID: c.endpointID, key: Array(contents.key(i)), value: Array(contents.value(i)))
            }
            try insert.run { v in
                v.add(sink.captureID); v.add(itemID); v.add(host); v.add(mapID); v.add(seq); v.add(Hex.encode(contents.key(i)))
                v.add(Hex.encode(contents.value(i))); v.add(decoded?.canonicalText)
            }
        }
        // Policy entries are all decoded, whatever the cap: the verifier needs every one (maps hold ≤ 16k).
        guard let cilium, cilium.kind == .policy, CiliumPolicyLayout.isKnown(keySize: contents.keySize, valueSize: contents.valueStride)
        else { return }
        for idx in order {
            let i = Int(idx)
            guard let e = CiliumPolicyLayout.decode(key: contents.key(i), value: contents.value(i), endpointID: cilium.endpointID) else { continue }
            try policyEntry(e, mapID: mapID, itemID: itemID)
        }
    }

    func policyEntry(_ e: CiliumPolicyEntry, mapID: Int64?, itemID: Int64) throws {
        try inserts.policyEntry.get().run { v in
            v.add(sink.captureID); v.add(itemID); v.add(host); v.add(mapID); v.add(e.endpointID); v.add(Int64(e.identity))
            v.add(e.direction); v.add(Int64(e.proto)); v.add(Int64(e.port)); v.add(Int64(e.portPrefixLen)); v.add(e.deny)
            v.add(Int64(e.proxyPort)); v.add(Int64(e.authType)); v.add(e.cookie.map { Int64($0) }); v.add(e.layout); v.add(e.keyHex)
        }
    }

    func pin(_ path: String, type: String, id: UInt32) throws {
        try sink.insertFact("bpf_pin", ["host": host, "path": path, "object_type": type, "object_id": Int64(id)])
    }

    static func pinnedText(_ paths: [String]) -> String? {
        paths.isEmpty ? nil : JSONValue.array(paths.map(JSONValue.string)).canonicalText
    }
}

/// The prepared per-entry inserts of one writer (bound through SQLite's C API: see `BulkInsert`).
private final class BPFInserts {
    let db: Database
    init(_ db: Database) { self.db = db }
    lazy var mapEntry = Result { try BulkInsert(db, sql: """
        INSERT INTO bpf_map_entry(capture_id, evidence_id, host, map_id, seq, key_hex, value_hex, decoded)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """) }
    lazy var policyEntry = Result { try BulkInsert(db, sql: """
        INSERT INTO cilium_policy_entry(capture_id, evidence_id, host, map_id, endpoint_id, identity, direction, protocol, port,
                                        port_prefix_len, deny, proxy_port, auth_type, cookie, layout, key_hex)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """) }
}

/// Hands the content stream to the blob writer's reader thread.
///
/// `@unchecked Sendable`: the sink calls the reader from one thread at a time, and the
/// contents it reads are immutable until `storeBlob` returns.
private final class ChunkSource: @unchecked Sendable {
    private var iterator: AnyIterator<Data>
    init(_ iterator: AnyIterator<Data>) { self.iterator = iterator }
    func next() -> Data { iterator.next() ?? Data() }
}
