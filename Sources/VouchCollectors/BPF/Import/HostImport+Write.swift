import Foundation
import VouchCore

extension HostImport {
    /// Writes what the files held: programs, maps with their dumps, links, then Cilium's objects.
    mutating func write() throws {
        let cap = Int(request.intOption("entry_cap") ?? Int64(BPFFactWriter.defaultEntryCap))
        let writer = BPFFactWriter(sink: sink, host: host, origin: "import", entryCap: max(0, cap))
        for (p, file) in programs.sorted(by: { $0.0.id < $1.0.id }) { try writer.program(p, from: file) }

        // Attach each dump to its map: by id, pinned path or name; an unknown map is kept with a NULL id.
        var dumpFor: [UInt32: (BPFToolJSON.Dump, String)] = [:]
        var orphans: [(BPFMapRecord, BPFToolJSON.Dump, String)] = []
        for (hint, dump, file) in dumps {
            let id = hint.id
                ?? hint.pinned.flatMap { p in maps.values.first { $0.0.pinned.contains(p) }?.0.id }
                ?? hint.name.flatMap { n in
                    let named = maps.values.filter { $0.0.name == n }
                    return named.count == 1 ? named[0].0.id : nil
                }
            if let id, maps[id] != nil || hint.id != nil {
                dumpFor[id] = (dump, file)
                if maps[id] == nil { maps[id] = (Self.synthesized(id: id, hint: hint, dump: dump), file) }
            } else {
                orphans.append((Self.synthesized(id: 0, hint: hint, dump: dump), dump, file))
            }
        }
        for id in maps.keys.sorted() {
            let (m, file) = maps[id]!
            try writeMap(m, dump: dumpFor[id]?.0, file: dumpFor[id]?.1 ?? file, writer: writer)
        }
        for (m, dump, file) in orphans { try writeMap(m, dump: dump, file: file, writer: writer) }
        for (l, file) in links { try writer.link(l, from: file) }
        try writeCilium(writer: writer)
    }

    private func writeMap(_ m: BPFMapRecord, dump: BPFToolJSON.Dump?, file: String, writer: BPFFactWriter) throws {
        var note: String?
        if dump == nil { note = "no dump of this map was imported (bpftool map dump id \(m.id) -j > map-dump-\(m.id).json)" }
        if let dump {
            if dump.contents == nil, !dump.formattedOnly.isEmpty {
                note = "bpftool printed only the BTF view (no -j): entries kept decoded, no raw bytes to fingerprint"
            }
            if !dump.lookupErrors.isEmpty {
                note = "\(dump.lookupErrors.count) entries could not be read by bpftool: \(dump.lookupErrors.prefix(3).joined(separator: "; "))"
            }
            if m.id == 0 {
                note = [note, "the dump's map is unknown: name the file map-dump-<ID>.json (ID from bpftool map show -j)"]
                    .compactMap { $0 }.joined(separator: "; ")
            }
        }
        var contents = dump?.contents
        if contents == nil, let dump, dump.formattedOnly.isEmpty, dump.lookupErrors.isEmpty {
            // An empty dump is an empty map, fingerprinted as such.
            contents = MapContents(keySize: Int(m.keySize), valueStride: Int(m.valueSize))
        }
        let decoded = dump?.decoded ?? []
        try writer.map(m, contents: contents, method: dump == nil ? nil : "import", note: note, from: file,
                       formattedOnly: dump?.formattedOnly ?? []) { i in i < decoded.count ? decoded[i] : nil }
    }

    /// A map record for a dump without `map show` metadata: sizes from the bytes.
    static func synthesized(id: UInt32, hint: HostImport.MapHint, dump: BPFToolJSON.Dump) -> BPFMapRecord {
        var m = BPFMapRecord(id: id, type: dump.perCPU ? "percpu (unknown)" : "unknown",
                             keySize: UInt32(dump.contents?.keySize ?? 0), valueSize: UInt32(dump.valueSize ?? 0))
        m.name = hint.name
        m.pinned = hint.pinned.map { [$0] } ?? []
        return m
    }

    private func writeCilium(writer: BPFFactWriter) throws {
        // Endpoints whose policy map was imported raw keep the kernel's bytes; cilium-dbg's view is then redundant.
        let rawEndpoints = Set(try Int64.fetchAll(sink.db, sql: """
            SELECT DISTINCT endpoint_id FROM cilium_policy_entry WHERE capture_id = ? AND host = ? AND endpoint_id IS NOT NULL
            """, arguments: [sink.captureID, host]))
        for p in policies {
            let subject = p.path ?? "endpoint \(p.endpointID.map(String.init) ?? "?") policy"
            var decoded: [CiliumPolicyEntry] = []
            var bad = 0
            for e in p.entries {
                if let d = CiliumJSON.policyEntry(e, endpointID: p.endpointID) { decoded.append(d) } else { bad += 1 }
            }
            var data: [String: JSONValue] = ["entries": .array(decoded.map(\.json)), "host": .string(host)]
            data["endpoint_id"] = p.endpointID.map(JSONValue.int)
            data["path"] = p.path.map(JSONValue.string)
            let superseded = p.endpointID.map { rawEndpoints.contains($0) } ?? false
            if superseded { data["superseded_by_raw_map_dump"] = true }
            let item = try sink.add(EvidenceItem(kind: "cilium.policy", subject: subject, origin: p.file, data: .object(data)))
            if bad > 0 {
                try sink.addError(subject: subject, origin: p.file,
                                  message: "\(p.file): \(bad) policy entries have no Key.Identity and were skipped; save `cilium-dbg bpf policy get --all -o json` unedited")
            }
            if p.endpointID == nil {
                try sink.addError(subject: subject, origin: p.file,
                                  message: "\(p.file): the endpoint of these policy entries is unknown; use --all, or name the file policy-<ENDPOINT>.json")
            }
            guard !superseded else { continue }
            let mapID = p.path.flatMap { path in maps.values.first { $0.0.pinned.contains(path) }?.0.id }.map { Int64($0) }
            for e in decoded { try writer.policyEntry(e, mapID: mapID, itemID: item) }
        }
        for (ep, file) in endpoints.sorted(by: { $0.0.id < $1.0.id }) {
            let subject = "endpoint \(ep.id)" + (ep.pod.map { " \(ep.namespace ?? "")/\($0)" } ?? "")
            let item = try sink.add(EvidenceItem(kind: "cilium.endpoint", subject: subject, origin: file, data: ep.json))
            try sink.insertFact("cilium_endpoint", [
                "evidence_id": item, "host": host, "endpoint_id": ep.id, "identity": ep.identity, "namespace": ep.namespace,
                "pod": ep.pod, "labels": JSONValue.array(ep.labels.map(JSONValue.string)).canonicalText, "state": ep.state,
                "policy_enabled": ep.policyEnabled, "ipv4": ep.ipv4, "ipv6": ep.ipv6,
            ])
        }
        var seen = Set<Int64>()
        for (id, labels, file) in identities.sorted(by: { $0.id < $1.id }) where seen.insert(id).inserted {
            let item = try sink.add(EvidenceItem(kind: "cilium.identity", subject: "identity \(id)", origin: file,
                                                 data: .object(["id": .int(id), "labels": .array(labels.map(JSONValue.string))])))
            let ns = labels.first { $0.hasPrefix("k8s:io.kubernetes.pod.namespace=") }.map { String($0.split(separator: "=", maxSplits: 1)[1]) }
            try sink.insertFact("cilium_identity", ["evidence_id": item, "identity": id,
                                                    "labels": JSONValue.array(labels.map(JSONValue.string)).canonicalText, "namespace": ns])
            for l in labels {
                let parts = CiliumJSON.splitLabel(l)
                try sink.insertFact("cilium_identity_label", ["identity": id, "label": l, "label_source": parts.source,
                                                              "label_key": parts.key, "label_value": parts.value])
            }
        }
    }
}
