import Foundation
import GRDB

/// The digests a capture seal is made of. `CaptureRunner` and `Verifier` both
/// compute them here, so sealing and checking can never drift apart.
public enum Seal {
    /// The hash of an item set: its members' item hashes in order.
    public static func setHash(_ itemHashes: [String]) -> String {
        var h = FieldHasher(domain: "vouch.set.v1")
        for s in itemHashes { h.add(s) }
        return h.finalizeHex()
    }

    /// The digest over every fact row of a capture, table by table, in rowid order.
    public static func factsDigest(_ db: Database, captureID: Int64) throws -> String {
        var h = FieldHasher(domain: "vouch.facts.v1")
        let tables = try String.fetchAll(db, sql: "SELECT name FROM fact_table ORDER BY name")
        for table in tables {
            h.add(table)
            guard try db.tableExists(table) else { h.add("missing"); continue }
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM \(table) WHERE capture_id = ? ORDER BY rowid", arguments: [captureID])
            while let row = try rows.next() {
                h.add(Int64(row.count))
                for value in row.databaseValues {
                    switch value.storage {
                    case .null: h.add(bytes: [], tag: 0x4E)
                    case .int64(let i): h.add(bytes: Array(String(i).utf8), tag: 0x49)
                    case .double(let d): h.add(bytes: Array(String(d.bitPattern).utf8), tag: 0x44)
                    case .string(let s): h.add(bytes: Array(s.utf8), tag: 0x53)
                    case .blob(let b): h.add(bytes: Array(b), tag: 0x42)
                    }
                }
            }
        }
        return h.finalizeHex()
    }

    /// One source's line in the manifest.
    public struct SourceLine: Sendable {
        public var seq: Int64, source: String, target: String, status: String, setSHA256: String
    }

    /// The manifest hash of a capture: header, sources and facts digest.
    public static func manifest(id: Int64, startedAt: String, finishedAt: String, host: String, toolVersion: String,
                                profileSHA256: String?, sources: [SourceLine], factsSHA256: String) -> String {
        var h = FieldHasher(domain: "vouch.capture.v1")
        h.add(id); h.add(startedAt); h.add(finishedAt); h.add(host); h.add(toolVersion); h.add(optional: profileSHA256)
        for s in sources {
            h.add(s.seq); h.add(s.source); h.add(s.target); h.add(s.status); h.add(s.setSHA256)
        }
        h.add(factsSHA256)
        return h.finalizeHex()
    }

    /// The seal: the manifest chained to the previous capture's seal.
    public static func seal(previous: String, manifest: String) -> String {
        var h = FieldHasher(domain: "vouch.seal.v1")
        h.add(previous); h.add(manifest)
        return h.finalizeHex()
    }

    /// The seal of the capture (or pruning marker) before `id`, or the zero seal.
    public static func previousSeal(_ db: Database, before id: Int64) throws -> (id: Int64?, seal: String) {
        let row = try Row.fetchOne(db, sql: """
            SELECT id, seal FROM (SELECT id, seal FROM capture WHERE id < ?1
                                  UNION ALL SELECT id, seal FROM capture_pruned WHERE id < ?1)
            ORDER BY id DESC LIMIT 1
            """, arguments: [id])
        if let row { return (row[0], row[1]) }
        return (nil, Hashing.zeroSeal)
    }

    /// The manifest lines of a stored capture.
    public static func sourceLines(_ db: Database, captureID: Int64) throws -> [SourceLine] {
        try Row.fetchAll(db, sql: """
            SELECT cs.seq, cs.source, cs.target, cs.status, s.sha256 FROM capture_source cs
            LEFT JOIN item_set s ON s.id = cs.set_id WHERE cs.capture_id = ? ORDER BY cs.seq
            """, arguments: [captureID]).map {
            SourceLine(seq: $0[0], source: $0[1], target: $0[2], status: $0[3], setSHA256: $0[4] ?? "missing")
        }
    }
}
