import Foundation
import GRDB

/// The items of one capture, sorted for matching: light rows only (ids and hashes), so two
/// captures of 100,000 items compare in one merge pass and only changed items are read in full.
struct ItemSnapshot {
    struct Entry {
        var source: String
        var target: String
        var kind: String
        var subject: String
        var itemID: Int64
        /// The item hash; only read when the other capture is in another store (ids differ there).
        var sha256: String?
    }
    /// Sorted by kind, subject, target (SQLite's BINARY order: UTF-8 bytes), then source order.
    var entries: [Entry] = []

    static func load(_ db: Database, captureID: Int64, hashes: Bool) throws -> ItemSnapshot {
        var s = ItemSnapshot()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT cs.source, cs.target, m.kind, m.subject, m.item_id, \(hashes ? "(SELECT i.sha256 FROM item i WHERE i.id = m.item_id)" : "NULL")
            FROM capture_source cs
            JOIN item_set_member m ON m.set_id = cs.set_id
            WHERE cs.capture_id = ?
            ORDER BY m.kind, m.subject, cs.target, cs.seq, m.seq
            """, arguments: [captureID])
        while let r = try rows.next() {
            s.entries.append(Entry(source: r[0], target: r[1], kind: r[2], subject: r[3], itemID: r[4], sha256: r[5]))
        }
        return s
    }

    /// Byte-wise order of (kind, subject), the order SQLite sorted by.
    static func compare(_ a: Entry, _ b: Entry) -> Int {
        let k = bytewise(a.kind, b.kind)
        return k != 0 ? k : bytewise(a.subject, b.subject)
    }

    static func bytewise(_ a: String, _ b: String) -> Int {
        if a == b { return 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
    }

    /// Pairs the entries of two sorted snapshots by (kind, subject). Where a kind and subject occur
    /// more than once on a side, they pair by target, then in order, so one path under two folders
    /// still pairs up. Returns (old index?, new index?) for every entry of either side.
    static func match(_ old: ItemSnapshot, _ new: ItemSnapshot) -> [(Int?, Int?)] {
        var out: [(Int?, Int?)] = []
        out.reserveCapacity(max(old.entries.count, new.entries.count))
        var i = 0, j = 0
        let a = old.entries, b = new.entries
        while i < a.count || j < b.count {
            if j >= b.count { out.append((i, nil)); i += 1; continue }
            if i >= a.count { out.append((nil, j)); j += 1; continue }
            let c = compare(a[i], b[j])
            if c < 0 { out.append((i, nil)); i += 1; continue }
            if c > 0 { out.append((nil, j)); j += 1; continue }
            // Equal keys: the common case is one entry on each side.
            var i2 = i + 1, j2 = j + 1
            while i2 < a.count, compare(a[i2], a[i]) == 0 { i2 += 1 }
            while j2 < b.count, compare(b[j2], b[j]) == 0 { j2 += 1 }
            if i2 - i == 1, j2 - j == 1 {
                out.append((i, j))
            } else {
                var unmatched = Array(j..<j2)
                for x in i..<i2 {
                    if let k = unmatched.firstIndex(where: { b[$0].target == a[x].target }) {
                        out.append((x, unmatched.remove(at: k)))
                    } else {
                        out.append((x, nil))
                    }
                }
                for y in unmatched { out.append((nil, y)) }
            }
            i = i2
            j = j2
        }
        return out
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
        let old = try ItemSnapshot.load(oldDB, captureID: oldCapture, hashes: !sameStore)
        let new = try ItemSnapshot.load(newDB, captureID: newCapture, hashes: !sameStore)
        var added: [Int] = [], removed: [Int] = [], candidates: [(Int, Int)] = []
        for pair in ItemSnapshot.match(old, new) {
            switch pair {
            case (let oi?, let ni?):
                let a = old.entries[oi], b = new.entries[ni]
                // Items are content-addressed: one store gives identical items one id; across stores the hash says it.
                if sameStore ? a.itemID == b.itemID : a.sha256 == b.sha256 { continue }
                candidates.append((oi, ni))
            case (let oi?, nil): removed.append(oi)
            case (nil, let ni?): added.append(ni)
            case (nil, nil): continue
            }
        }
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
