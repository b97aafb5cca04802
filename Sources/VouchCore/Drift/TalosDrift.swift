import Foundation
import GRDB

/// Declared vs running Talos inside one capture: for every node that has both a declared
/// config (files) and a live `talosctl` dump, the `talos_setting` rows with the same
/// document and path whose values differ, or that exist on one side only.
enum TalosDrift {
    struct Setting {
        var value: String
        var origin: String
    }

    static func compare(_ db: Database, captureID: Int64) throws -> [TalosDivergence] {
        guard try db.tableExists("talos_setting") else { return [] }
        let columns = Set(try db.columns(in: "talos_setting").map(\.name))
        guard columns.isSuperset(of: ["node", "document", "path", "value", "evidence_id"]) else { return [] }
        // Which side a row is on. Running: what talosctl read from the node, live (source_type 'live',
        // or an origin that is the talosctl command) or recorded to a file (a talosctl resource dump:
        // its item names the `talosctl_node`). Declared: config files. Patches and the rest: neither.
        let dump = "(i.origin LIKE 'talosctl %' OR i.data LIKE '%\"talosctl_node\":%')"
        let side = columns.contains("source_type")
            ? "CASE WHEN t.source_type = 'live' OR (t.source_type = 'declared' AND \(dump)) THEN 'live' WHEN t.source_type = 'declared' THEN 'declared' ELSE 'other' END"
            : "CASE WHEN \(dump) THEN 'live' ELSE 'declared' END"
        let origin = columns.contains("file") ? "coalesce(NULLIF(t.file, ''), i.origin)" : "i.origin"
        var declared: [String: [String: Setting]] = [:], live: [String: [String: Setting]] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT t.node, t.document, t.path, t.value, \(side), \(origin)
            FROM talos_setting t JOIN item i ON i.id = t.evidence_id
            WHERE t.capture_id = ? ORDER BY t.node, \(origin), t.rowid
            """, arguments: [captureID])
        while let r = try rows.next() {
            let node: String = r[0], key = (r[1] as String) + "\u{0}" + (r[2] as String)
            let setting = Setting(value: r[3], origin: r[5])
            switch r[4] as String {
            case "live": live[node, default: [:]][key] = setting
            case "declared": declared[node, default: [:]][key] = setting
            default: continue
            }
        }
        var out: [TalosDivergence] = []
        for node in Set(declared.keys).intersection(live.keys).sorted() {
            let d = declared[node]!, l = live[node]!
            let declaredOrigin = Set(d.values.map(\.origin)).sorted().joined(separator: ", ")
            let runningOrigin = Set(l.values.map(\.origin)).sorted().joined(separator: ", ")
            for key in Set(d.keys).union(l.keys).sorted() {
                let a = d[key], b = l[key]
                let av = a.map { parse($0.value) }, bv = b.map { parse($0.value) }
                if av == bv { continue }
                let parts = key.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
                out.append(TalosDivergence(node: node, document: String(parts[0]), path: String(parts[1]),
                                           declared: av, running: bv, declaredOrigin: a?.origin ?? declaredOrigin,
                                           runningOrigin: b?.origin ?? runningOrigin))
            }
        }
        return out
    }

    /// Values are stored as JSON; a value that is not (older rows) is kept as text.
    private static func parse(_ text: String) -> JSONValue {
        (try? JSONValue.parse(text)) ?? .string(text)
    }
}
