import Crypto
import Foundation
import GRDB

/// One thing `vouch verify` found wrong.
public struct VerifyProblem: Sendable, Hashable, CustomStringConvertible {
    public var captureID: Int64?
    public var kind: String?
    public var subject: String?
    public var message: String

    public var description: String {
        var parts: [String] = []
        if let captureID { parts.append("capture \(captureID)") }
        if let kind, let subject { parts.append("item \(kind) \(subject)") }
        return (parts.isEmpty ? "" : parts.joined(separator: ", ") + ": ") + message
    }
}

/// What `vouch verify` checked.
public struct VerifyReport: Sendable {
    public var captures = 0
    public var items = 0
    public var blobs = 0
    public var blobBytes: Int64 = 0
    public var problems: [VerifyProblem] = []
    public var isIntact: Bool { problems.isEmpty }
}

/// Recomputes every blob hash, item hash, set hash, facts digest, manifest and chain link.
public struct Verifier {
    public let store: EvidenceStore
    public init(store: EvidenceStore) { self.store = store }

    public func verify() throws -> VerifyReport {
        try store.pool.read { db in try verify(db) }
    }

    func verify(_ db: Database) throws -> VerifyReport {
        var report = VerifyReport()
        // Blobs: content against its address.
        var badBlobs: [String: String] = [:]
        var blobIDs: Set<String> = []
        let blobs = try Row.fetchAll(db, sql: "SELECT id, sha256, size FROM blob ORDER BY id")
        for b in blobs {
            let id: Int64 = b[0], sha: String = b[1], size: Int64 = b[2]
            blobIDs.insert(sha)
            var h = SHA256()
            var n: Int64 = 0
            try BlobIO.forEachChunk(db, blobID: id) { chunk in
                h.update(data: chunk)
                n += Int64(chunk.count)
            }
            report.blobs += 1
            report.blobBytes += n
            let actual = Hashing.hex(h.finalize())
            if actual != sha { badBlobs[sha] = "its content no longer matches its hash sha256:\(sha) (now sha256:\(actual))" }
            else if n != size { badBlobs[sha] = "blob sha256:\(sha) has \(n) bytes, \(size) recorded" }
        }
        // Items: every field against the item hash.
        var badItems: [Int64: String] = [:]
        var itemHashes: [Int64: String] = [:]
        let items = try Row.fetchCursor(db, sql: "SELECT id, sha256, source, kind, subject, origin, data, blob_sha256, status FROM item")
        while let r = try items.next() {
            let id: Int64 = r[0], sha: String = r[1]
            itemHashes[id] = sha
            report.items += 1
            let actual = EvidenceItem.hash(source: r[2], kind: r[3], subject: r[4], origin: r[5], dataText: r[6],
                                           blobSHA256: r[7], status: r[8])
            if actual != sha {
                badItems[id] = "its recorded fields no longer match its hash (edited after the capture)"
            } else if let blob: String = r[7] {
                if let why = badBlobs[blob] { badItems[id] = "its raw artifact is damaged: " + why }
                else if !blobIDs.contains(blob) { badItems[id] = "its raw artifact sha256:\(blob) is missing from the store" }
            }
        }
        // Captures in order: sets, facts, manifest, chain.
        let captures = try Row.fetchAll(db, sql: """
            SELECT id, started_at, finished_at, host, tool_version, profile_sha256, facts_sha256, manifest_sha256,
                   prev_seal, seal FROM capture ORDER BY id
            """)
        let pruned = Set(try Int64.fetchAll(db, sql: "SELECT id FROM capture_pruned"))
        var expectedPrevious: (id: Int64?, seal: String) = (nil, Hashing.zeroSeal)
        var lastID: Int64 = 0
        var prunedRows = try Row.fetchAll(db, sql: "SELECT id, seal, prev_seal FROM capture_pruned ORDER BY id")[...]
        for c in captures {
            let id: Int64 = c[0]
            report.captures += 1
            // Pruning markers between the previous capture and this one continue the chain.
            while let p = prunedRows.first, (p[0] as Int64) < id {
                let pid: Int64 = p[0]
                if (p[2] as String) != expectedPrevious.seal {
                    report.problems.append(VerifyProblem(captureID: pid, message: "pruning marker does not chain to the capture before it"))
                }
                expectedPrevious = (pid, p[1])
                lastID = pid
                prunedRows = prunedRows.dropFirst()
            }
            for missing in (lastID + 1)..<id where !pruned.contains(missing) {
                report.problems.append(VerifyProblem(captureID: missing, message: "capture \(missing) is missing: it was deleted without a pruning marker, so the chain is broken"))
            }
            lastID = id
            var lines: [Seal.SourceLine] = []
            let sources = try Row.fetchAll(db, sql: """
                SELECT cs.seq, cs.source, cs.target, cs.status, cs.set_id, s.sha256 FROM capture_source cs
                LEFT JOIN item_set s ON s.id = cs.set_id WHERE cs.capture_id = ? ORDER BY cs.seq
                """, arguments: [id])
            for s in sources {
                let setID: Int64 = s[4]
                let setSHA: String? = s[5]
                if setSHA == nil {
                    report.problems.append(VerifyProblem(captureID: id, message: "source \(s[1] as String)=\(s[2] as String): its item set \(setID) is missing"))
                }
                let members = try Row.fetchAll(db, sql: "SELECT seq, item_id, kind, subject FROM item_set_member WHERE set_id = ? ORDER BY seq", arguments: [setID])
                var hashes: [String] = []
                for m in members {
                    let itemID: Int64 = m[1]
                    if let h = itemHashes[itemID] {
                        hashes.append(h)
                        if let why = badItems[itemID] {
                            report.problems.append(VerifyProblem(captureID: id, kind: m[2], subject: m[3], message: why))
                        }
                    } else {
                        hashes.append("missing")
                        report.problems.append(VerifyProblem(captureID: id, kind: m[2], subject: m[3], message: "the item was deleted from the store"))
                    }
                }
                if let setSHA, Seal.setHash(hashes) != setSHA, !hashes.contains("missing") {
                    report.problems.append(VerifyProblem(captureID: id, message: "source \(s[1] as String)=\(s[2] as String): its list of items was changed (items added, removed or reordered)"))
                }
                lines.append(Seal.SourceLine(seq: s[0], source: s[1], target: s[2], status: s[3], setSHA256: setSHA ?? "missing"))
            }
            // Captures sealed before the per-table digest (version 2) carry a version 1 digest.
            let facts = try Seal.factsDigest(db, captureID: id)
            if facts != (c[6] as String), try Seal.factsDigestV1(db, captureID: id) != (c[6] as String) {
                report.problems.append(VerifyProblem(captureID: id, message: "its fact rows were changed, added or deleted after the capture"))
            }
            let manifest = Seal.manifest(id: id, startedAt: c[1], finishedAt: c[2], host: c[3], toolVersion: c[4],
                                         profileSHA256: c[5], sources: lines, factsSHA256: c[6])
            if manifest != (c[7] as String) {
                report.problems.append(VerifyProblem(captureID: id, message: "its manifest does not match its header or sources (edited, or a source was removed)"))
            }
            let prevSeal: String = c[8]
            if prevSeal != expectedPrevious.seal {
                let what = expectedPrevious.id.map { "capture \($0)" } ?? "the start of the chain"
                report.problems.append(VerifyProblem(captureID: id, message: "chain broken: its previous-seal does not match the seal of \(what)"))
            }
            if Seal.seal(previous: prevSeal, manifest: c[7]) != (c[9] as String) {
                report.problems.append(VerifyProblem(captureID: id, message: "its seal does not match its manifest and previous seal"))
            }
            expectedPrevious = (id, c[9])
        }
        report.problems += try keptHistoryProblems(db)
        // Damage outside any capture still counts.
        let referenced = Set(try Int64.fetchAll(db, sql: "SELECT DISTINCT item_id FROM item_set_member"))
        for (id, why) in badItems.sorted(by: { $0.key < $1.key }) where !referenced.contains(id) {
            report.problems.append(VerifyProblem(message: "item \(id) (in no capture): \(why)"))
        }
        return report
    }
}
