import Foundation
import GRDB
import VouchCore

/// Item-level drift between a capture and the one before it, for the report only:
/// an item is identified by kind and subject; items are content-addressed, so a different
/// item hash under the same kind and subject means its content changed.
/// (The full drift engine — facts, declared vs live — lives in its own module.)
enum ItemDrift {
    static func compute(_ db: Database, captureID: Int64, limit: Int) throws -> DriftReport? {
        guard let previous = try Int64.fetchOne(db, sql: "SELECT max(id) FROM capture WHERE id < ?", arguments: [captureID]) else {
            return nil
        }
        let before = try items(db, previous)
        let after = try items(db, captureID)
        var byKind: [String: KindDrift] = [:]
        var entries: [DriftEntry] = []
        func note(_ change: String, _ key: Key, from: String?, to: String?) {
            var k = byKind[key.kind] ?? KindDrift(kind: key.kind, added: 0, removed: 0, changed: 0)
            switch change {
            case "added": k.added += 1
            case "removed": k.removed += 1
            default: k.changed += 1
            }
            byKind[key.kind] = k
            entries.append(DriftEntry(change: change, kind: key.kind, subject: key.subject, fromSHA256: from, toSHA256: to))
        }
        for (key, hash) in after {
            if let old = before[key] {
                if old != hash { note("changed", key, from: old, to: hash) }
            } else {
                note("added", key, from: nil, to: hash)
            }
        }
        for (key, hash) in before where after[key] == nil { note("removed", key, from: hash, to: nil) }
        let rank = ["changed": 0, "removed": 1, "added": 2]
        entries.sort { (rank[$0.change]!, $0.kind, $0.subject) < (rank[$1.change]!, $1.kind, $1.subject) }
        let kinds = byKind.values.sorted { $0.kind < $1.kind }
        return DriftReport(fromCapture: previous, toCapture: captureID, added: kinds.reduce(0) { $0 + $1.added },
                           removed: kinds.reduce(0) { $0 + $1.removed }, changed: kinds.reduce(0) { $0 + $1.changed },
                           byKind: kinds, entries: Array(entries.prefix(limit)))
    }

    struct Key: Hashable {
        var kind: String
        var subject: String
    }

    /// kind+subject → the item hash (several items under one key: their hashes joined in order).
    private static func items(_ db: Database, _ captureID: Int64) throws -> [Key: String] {
        var out: [Key: String] = [:]
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT m.kind, m.subject, i.sha256 FROM capture_source cs
            JOIN item_set_member m ON m.set_id = cs.set_id JOIN item i ON i.id = m.item_id
            WHERE cs.capture_id = ? ORDER BY cs.seq, m.seq
            """, arguments: [captureID])
        while let r = try cursor.next() {
            let key = Key(kind: RowText.text(r, 0), subject: RowText.text(r, 1))
            let sha = RowText.text(r, 2)
            if let prior = out[key] { out[key] = prior + "," + sha } else { out[key] = sha }
        }
        return out
    }
}
