import Foundation
import GRDB
import VouchCore

/// A capture (or pruning marker) as `evidence/captures.jsonl` records it: every field the
/// seal is computed from, so the bundle's chain can be recomputed without the store.
struct CaptureHeader {
    var id: Int64
    var pruned = false
    var startedAt = ""
    var finishedAt = ""
    var host = ""
    var toolVersion = ""
    var profileSHA256: String?
    var factsSHA256 = ""
    var manifestSHA256 = ""
    var prevSeal = ""
    var seal = ""
    var itemCount: Int64 = 0
    var sources: [Seal.SourceLine] = []
    var signatures: [CaptureSigning.Stored] = []

    var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": .int(id), "pruned": .bool(pruned), "started_at": .string(startedAt), "prev_seal": .string(prevSeal),
            "seal": .string(seal), "manifest_sha256": .string(manifestSHA256),
        ]
        if !pruned {
            o["finished_at"] = .string(finishedAt)
            o["host"] = .string(host)
            o["tool_version"] = .string(toolVersion)
            o["profile_sha256"] = profileSHA256.map { .string($0) } ?? .null
            o["facts_sha256"] = .string(factsSHA256)
            o["item_count"] = .int(itemCount)
            o["sources"] = .array(sources.map {
                ["seq": .int($0.seq), "source": .string($0.source), "target": .string($0.target), "status": .string($0.status),
                 "set_sha256": .string($0.setSHA256)]
            })
            o["signatures"] = .array(signatures.map {
                ["key_id": .string($0.keyID), "public_key": .string($0.publicKey), "signature": .string($0.signature)]
            })
        }
        return .object(o)
    }

    /// The short form in `manifest.json`: seal and chain link.
    var manifestEntry: JSONValue {
        ["id": .int(id), "pruned": .bool(pruned), "seal": .string(seal), "prev_seal": .string(prevSeal),
         "manifest_sha256": .string(manifestSHA256), "started_at": .string(startedAt)]
    }

    init(id: Int64) { self.id = id }

    /// Reads a line of `captures.jsonl`; nil when a field is missing or mistyped.
    init?(json v: JSONValue) {
        guard let id = v["id"]?.intValue, let seal = v["seal"]?.stringValue, let prev = v["prev_seal"]?.stringValue,
              let manifest = v["manifest_sha256"]?.stringValue, let started = v["started_at"]?.stringValue
        else { return nil }
        self.id = id
        pruned = v["pruned"]?.boolValue ?? false
        startedAt = started
        prevSeal = prev
        self.seal = seal
        manifestSHA256 = manifest
        if pruned { return }
        guard let finished = v["finished_at"]?.stringValue, let host = v["host"]?.stringValue, let tool = v["tool_version"]?.stringValue,
              let facts = v["facts_sha256"]?.stringValue, let sources = v["sources"]?.arrayValue
        else { return nil }
        finishedAt = finished
        self.host = host
        toolVersion = tool
        profileSHA256 = v["profile_sha256"]?.stringValue
        factsSHA256 = facts
        itemCount = v["item_count"]?.intValue ?? 0
        var lines: [Seal.SourceLine] = []
        for s in sources {
            guard let seq = s["seq"]?.intValue, let source = s["source"]?.stringValue, let target = s["target"]?.stringValue,
                  let status = s["status"]?.stringValue, let set = s["set_sha256"]?.stringValue
            else { return nil }
            lines.append(Seal.SourceLine.make(seq: seq, source: source, target: target, status: status, setSHA256: set))
        }
        self.sources = lines
        signatures = (v["signatures"]?.arrayValue ?? []).compactMap { s in
            guard let k = s["key_id"]?.stringValue, let p = s["public_key"]?.stringValue, let sig = s["signature"]?.stringValue else { return nil }
            return CaptureSigning.Stored(captureID: id, keyID: k, publicKey: p, signature: sig)
        }
    }
}

enum BundleEvidence {
    /// The chosen captures, with the pruning markers between them, in chain order.
    static func captureHeaders(_ db: Database, ids: [Int64]) throws -> [CaptureHeader] {
        guard let low = ids.min(), let high = ids.max() else { return [] }
        var out: [CaptureHeader] = []
        let signatures = Dictionary(grouping: try CaptureSigning.signatures(db, captureIDs: ids), by: \.captureID)
        let chosen = Set(ids)
        for r in try Row.fetchAll(db, sql: "SELECT * FROM capture WHERE id BETWEEN ? AND ? ORDER BY id", arguments: [low, high]) {
            let id: Int64 = r["id"]
            guard chosen.contains(id) else { continue }
            var h = CaptureHeader(id: id)
            h.startedAt = r["started_at"]; h.finishedAt = r["finished_at"]; h.host = r["host"]; h.toolVersion = r["tool_version"]
            h.profileSHA256 = r["profile_sha256"]; h.factsSHA256 = r["facts_sha256"]; h.manifestSHA256 = r["manifest_sha256"]
            h.prevSeal = r["prev_seal"]; h.seal = r["seal"]; h.itemCount = r["item_count"]
            h.sources = try Seal.sourceLines(db, captureID: id)
            h.signatures = signatures[id] ?? []
            out.append(h)
        }
        for r in try Row.fetchAll(db, sql: "SELECT * FROM capture_pruned WHERE id BETWEEN ? AND ? ORDER BY id", arguments: [low, high]) {
            var h = CaptureHeader(id: r["id"])
            h.pruned = true
            h.startedAt = r["started_at"]; h.prevSeal = r["prev_seal"]; h.seal = r["seal"]; h.manifestSHA256 = r["manifest_sha256"]
            out.append(h)
        }
        return out.sorted { $0.id < $1.id }
    }

    /// Streams a capture's items to a JSON Lines file; returns how many and the blobs they name.
    static func writeItems(_ db: Database, captureID: Int64, to url: URL) throws -> (Int, Set<String>) {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        guard let out = FileHandle(forWritingAtPath: url.path) else { throw BundleError.cannotWrite(url.path, "cannot stage the items") }
        defer { try? out.close() }
        var buffer = Data()
        var count = 0
        var blobs = Set<String>()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT id, source_seq, seq, source, target, kind, subject, origin, data, blob_sha256, sha256, status, collected_at
            FROM evidence WHERE capture_id = ? ORDER BY source_seq, seq
            """, arguments: [captureID])
        while let r = try rows.next() {
            let blob: String? = r["blob_sha256"]
            if let blob { blobs.insert(blob) }
            let line: JSONValue = [
                "id": .int(r["id"]), "source_seq": .int(r["source_seq"]), "seq": .int(r["seq"]), "source": .string(r["source"]),
                "target": .string(r["target"]), "kind": .string(r["kind"]), "subject": .string(r["subject"]),
                "origin": .string(r["origin"]), "data": .string(r["data"]), "blob_sha256": blob.map { .string($0) } ?? .null,
                "sha256": .string(r["sha256"]), "status": .string(r["status"]), "collected_at": .string(r["collected_at"]),
            ]
            buffer.append(line.canonicalData)
            buffer.append(0x0A)
            count += 1
            if buffer.count >= 1 << 20 { try out.write(contentsOf: buffer); buffer.removeAll(keepingCapacity: true) }
        }
        try out.write(contentsOf: buffer)
        return (count, blobs)
    }
}
