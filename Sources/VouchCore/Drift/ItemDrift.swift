import Foundation
import GRDB

/// The items of one capture, keyed for matching: light rows only (ids and hashes), so
/// two captures of 100,000 items compare in memory and only changed items are read in full.
struct ItemSnapshot {
    struct Entry {
        var source: String
        var target: String
        var kind: String
        var subject: String
        var itemID: Int64
        var sha256: String
    }
    var entries: [Entry] = []

    static func load(_ db: Database, captureID: Int64) throws -> ItemSnapshot {
        var s = ItemSnapshot()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT cs.source, cs.target, m.kind, m.subject, m.item_id, i.sha256
            FROM capture_source cs
            JOIN item_set_member m ON m.set_id = cs.set_id
            JOIN item i ON i.id = m.item_id
            WHERE cs.capture_id = ? ORDER BY cs.seq, m.seq
            """, arguments: [captureID])
        while let r = try rows.next() {
            s.entries.append(Entry(source: r[0], target: r[1], kind: r[2], subject: r[3], itemID: r[4], sha256: r[5]))
        }
        return s
    }

    /// Matching keys: (kind, subject) when it is unique on both sides; otherwise also the
    /// target and the occurrence, so the same path under two folders still pairs up.
    static func keys(_ old: ItemSnapshot, _ new: ItemSnapshot) -> (old: [String: Int], new: [String: Int]) {
        func base(_ e: Entry) -> String { e.kind + "\u{0}" + e.subject }
        var counts: [String: Int] = [:]
        for e in old.entries { counts[base(e), default: 0] += 1 }
        var newCounts: [String: Int] = [:]
        for e in new.entries { newCounts[base(e), default: 0] += 1 }
        func index(_ s: ItemSnapshot) -> [String: Int] {
            var out: [String: Int] = [:]
            out.reserveCapacity(s.entries.count)
            var occurrence: [String: Int] = [:]
            for (i, e) in s.entries.enumerated() {
                let b = base(e)
                if counts[b, default: 0] <= 1 && newCounts[b, default: 0] <= 1 {
                    out[b] = i
                } else {
                    let withTarget = b + "\u{0}" + e.target
                    let n = occurrence[withTarget, default: 0]
                    occurrence[withTarget] = n + 1
                    out[withTarget + "\u{0}\(n)"] = i
                }
            }
            return out
        }
        return (index(old), index(new))
    }
}

/// A stored item's content, read only for items whose hash differs.
struct ItemContent {
    var origin: String
    var data: String
    var blobSHA256: String?
    var status: String

    static func load(_ db: Database, ids: [Int64]) throws -> [Int64: ItemContent] {
        var out: [Int64: ItemContent] = [:]
        var start = 0
        while start < ids.count {
            let chunk = ids[start..<min(start + 500, ids.count)]
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try Row.fetchCursor(db, sql: "SELECT id, origin, data, blob_sha256, status FROM item WHERE id IN (\(marks))",
                                           arguments: StatementArguments(Array(chunk)))
            while let r = try rows.next() {
                out[r[0]] = ItemContent(origin: r[1], data: r[2], blobSHA256: r[3], status: r[4])
            }
            start += 500
        }
        return out
    }
}

/// Compares the items of two captures, possibly in two different stores.
enum ItemDrift {
    static func compare(old oldDB: Database, oldCapture: Int64, new newDB: Database, newCapture: Int64,
                        sameStore: Bool, ignore: [DriftIgnore]) throws -> [ItemChange] {
        let old = try ItemSnapshot.load(oldDB, captureID: oldCapture)
        let new = try ItemSnapshot.load(newDB, captureID: newCapture)
        let (oldKeys, newKeys) = ItemSnapshot.keys(old, new)
        var added: [Int] = [], removed: [Int] = [], candidates: [(Int, Int)] = []
        for (key, ni) in newKeys {
            guard let oi = oldKeys[key] else { added.append(ni); continue }
            let a = old.entries[oi], b = new.entries[ni]
            if a.sha256 == b.sha256 || (sameStore && a.itemID == b.itemID) { continue }
            candidates.append((oi, ni))
        }
        for (key, oi) in oldKeys where newKeys[key] == nil { removed.append(oi) }
        // Only these items are read in full: changed candidates, and added/removed ones for their origin.
        let oldContent = try ItemContent.load(oldDB, ids: (candidates.map(\.0) + removed).map { old.entries[$0].itemID })
        let newContent = try ItemContent.load(newDB, ids: (candidates.map(\.1) + added).map { new.entries[$0].itemID })
        var out: [ItemChange] = []
        func change(_ c: ItemChange.Change, _ e: ItemSnapshot.Entry, _ content: [Int64: ItemContent], _ fields: [FieldChange] = []) -> ItemChange {
            ItemChange(change: c, kind: e.kind, subject: e.subject, source: e.source, target: e.target,
                       origin: content[e.itemID]?.origin ?? "", fields: fields)
        }
        for ni in added { out.append(change(.added, new.entries[ni], newContent)) }
        for oi in removed { out.append(change(.removed, old.entries[oi], oldContent)) }
        for (oi, ni) in candidates {
            let a = old.entries[oi], b = new.entries[ni]
            guard let ca = oldContent[a.itemID], let cb = newContent[b.itemID] else { continue }
            let fields = fieldChanges(kind: b.kind, ca, cb, ignore: ignore)
            if !fields.isEmpty { out.append(change(.changed, b, newContent, fields)) }
        }
        out.sort { ($0.kind, $0.subject, $0.target, $0.change.rawValue) < ($1.kind, $1.subject, $1.target, $1.change.rawValue) }
        return out
    }

    /// The differences that count: data fields, the raw artifact and the status; the origin
    /// only alongside another difference (a checkout in another folder is not drift).
    static func fieldChanges(kind: String, _ a: ItemContent, _ b: ItemContent, ignore: [DriftIgnore]) -> [FieldChange] {
        var fields: [FieldChange] = []
        if a.data != b.data {
            let oldData = (try? JSONValue.parse(a.data)) ?? .string(a.data)
            let newData = (try? JSONValue.parse(b.data)) ?? .string(b.data)
            fields += JSONDiff.diff(oldData, newData)
        }
        if a.blobSHA256 != b.blobSHA256 {
            fields.append(FieldChange(path: "blob_sha256", old: a.blobSHA256.map { .string("sha256:" + $0) },
                                      new: b.blobSHA256.map { .string("sha256:" + $0) }))
        }
        if a.status != b.status { fields.append(FieldChange(path: "status", old: .string(a.status), new: .string(b.status))) }
        fields.removeAll { f in ignore.contains { $0.matches(kind: kind, path: f.path) } }
        if !fields.isEmpty, a.origin != b.origin, !ignore.contains(where: { $0.matches(kind: kind, path: "origin") }) {
            fields.append(FieldChange(path: "origin", old: .string(a.origin), new: .string(b.origin)))
        }
        return fields
    }
}
