import Foundation
import GRDB
import VouchCore

/// Runs a check's test case for real: a fresh store file, the case's facts inserted, the check run
/// through the same runner `vouch evaluate` uses, and the (resource, status) pairs compared exactly.
///
/// Conveniences: a capture row (id 1, or every `capture_id` the facts name) and an evaluation row are
/// created; `capture_id` and `evaluation_id` default to them; NOT NULL columns a row leaves out get
/// a neutral value ('' or 0); rows under the pseudo-table `evidence` become real items, item sets and
/// capture sources; every source the check needs is recorded as collected (state from `sources:`:
/// ok, partial, error or missing).
public enum CheckTestHarness {
    public static let defaultNow = "2026-01-15T12:00:00.000Z"

    /// Returns the mismatches (empty when the case passes).
    public static func run(_ check: Check, _ tc: CheckTestCase, storePath: String) throws -> [String] {
        let store = try EvidenceStore(path: storePath)
        guard let now = Timestamp.parse(tc.now ?? defaultNow) ?? DateText.parse(tc.now ?? "") else {
            return ["`now: \(tc.now ?? "")` is not an ISO 8601 time"]
        }
        var settings = ProfileSettings()
        for name in tc.inputs.keys where !check.inputs.contains(where: { $0.name == name }) {
            return ["input '\(name)' is not declared by the check"]
        }
        settings.checks[check.id] = ProfileSettings.CheckSetting(enabled: true, reason: nil, inputs: tc.inputs)
        let outcomes = try store.pool.write { db -> [CheckOutcome] in
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            let collected = Timestamp.string(now.addingTimeInterval(-60))
            var captures: Set<Int64> = [1]
            for (table, rows) in tc.facts where table != "capture" {
                for r in rows { if let c = r["capture_id"]?.intValue { captures.insert(c) } }
            }
            let explicit = tc.facts.first { $0.table == "capture" }?.rows ?? []
            for id in captures.sorted() where !explicit.contains(where: { $0["id"]?.intValue == id }) {
                try insert(db, "capture", ["id": .int(id), "started_at": .string(collected), "finished_at": .string(collected),
                                           "host": "test", "seal": .string("seal-\(id)")])
            }
            for r in explicit { try insert(db, "capture", r) }
            try db.execute(sql: """
                INSERT INTO evaluation(capture_id, evaluated_at, catalog_sha256, tool_version) VALUES (1, ?, 'test', 'test')
                """, arguments: [Timestamp.string(now)])
            let evaluationID = db.lastInsertedRowID
            try insertSources(db, check: check, tc: tc, collected: collected)
            // Fact rows cite an evidence item: a placeholder one unless the row names its own.
            try db.execute(sql: """
                INSERT INTO item(sha256, source, kind, subject, origin, data, status) VALUES (?, 'test', 'test.fact', 'facts', 'test', '{}', 'ok')
                """, arguments: [UUID().uuidString])
            let itemID = db.lastInsertedRowID
            for (table, rows) in tc.facts where table != "capture" && table != "evidence" {
                for r in rows {
                    var r = r
                    let cols = try columns(db, table)
                    if cols["capture_id"] != nil, r["capture_id"] == nil { r["capture_id"] = 1 }
                    if cols["evaluation_id"] != nil, r["evaluation_id"] == nil { r["evaluation_id"] = .int(evaluationID) }
                    if cols["evidence_id"] != nil, r["evidence_id"] == nil { r["evidence_id"] = .int(itemID) }
                    try insert(db, table, r)
                }
            }
            let ctx = RunContext(captureID: 1, evaluationID: evaluationID, now: now, settings: settings,
                                 sources: try SourceState.load(db, captureID: 1))
            return try CheckRunner.run(check, in: db, context: ctx)
        }
        var mismatches: [String] = []
        var got: [String: String] = [:]
        for o in outcomes {
            if let prior = got[o.resource], prior != o.status { mismatches.append("resource '\(o.resource)' appears with \(prior) and \(o.status)") }
            got[o.resource] = o.status
        }
        for (resource, status) in tc.expect.sorted(by: { $0.key < $1.key }) {
            let actual = got[resource]
            if actual != status {
                let why = outcomes.first { $0.resource == resource }?.reason ?? ""
                mismatches.append("expected \(resource): \(status), got \(actual ?? "no row")\(why.isEmpty ? "" : " (\(why))")")
            }
        }
        for (resource, status) in got.sorted(by: { $0.key < $1.key }) where tc.expect[resource] == nil {
            let why = outcomes.first { $0.resource == resource }?.reason ?? ""
            mismatches.append("unexpected row \(resource): \(status) (\(why))")
        }
        return mismatches
    }

    /// Items (from `evidence` rows) grouped per source and target, plus an empty set for each needed source.
    static func insertSources(_ db: Database, check: Check, tc: CheckTestCase, collected: String) throws {
        var groups: [String: [[String: JSONValue]]] = [:]
        for r in tc.facts.first(where: { $0.table == "evidence" })?.rows ?? [] {
            let source = r["source"]?.stringValue ?? check.sources.first ?? "files"
            let key = source + "\u{0}" + (r["target"]?.stringValue ?? "test")
            groups[key, default: []].append(r)
        }
        for source in check.sources where source != Check.storeSource {
            if !groups.keys.contains(where: { $0.hasPrefix(source + "\u{0}") }) { groups[source + "\u{0}test"] = [] }
        }
        for (seq, key) in groups.keys.sorted().enumerated() {
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            let state = tc.sources[parts[0]] ?? "ok"
            if state == "missing" { continue }
            try db.execute(sql: "INSERT INTO item_set(sha256, item_count) VALUES (?, ?)", arguments: [UUID().uuidString, groups[key]!.count])
            let setID = db.lastInsertedRowID
            var errors = state == "partial" ? 1 : 0
            for (i, r) in groups[key]!.enumerated() {
                let status = r["status"]?.stringValue ?? "ok"
                if status == "error" { errors += 1 }
                let data = r["data"].map { $0.stringValue ?? $0.canonicalText } ?? "{}"
                try db.execute(sql: """
                    INSERT INTO item(sha256, source, kind, subject, origin, data, blob_sha256, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [UUID().uuidString, parts[0], r["kind"]?.stringValue ?? "\(parts[0]).item",
                                     r["subject"]?.stringValue ?? "subject-\(i)", r["origin"]?.stringValue ?? "test",
                                     data, r["blob_sha256"]?.stringValue, status])
                try db.execute(sql: "INSERT INTO item_set_member(set_id, seq, item_id, kind, subject) VALUES (?, ?, ?, '', '')",
                               arguments: [setID, i, db.lastInsertedRowID])
            }
            try db.execute(sql: """
                INSERT INTO capture_source(capture_id, seq, source, target, set_id, status, item_count, error_count, started_at, finished_at)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [seq, parts[0], parts[1], setID, state == "ok" && errors > 0 ? "partial" : state, groups[key]!.count, errors,
                                 collected, collected])
        }
    }

    static func columns(_ db: Database, _ table: String) throws -> [String: (type: String, notNull: Bool, hasDefault: Bool)] {
        var out: [String: (String, Bool, Bool)] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info(?)", arguments: [table]) {
            out[r[0]] = ((r[1] as String).uppercased(), (r[2] as Int) == 1, !(r[3] as DatabaseValue).isNull)
        }
        if out.isEmpty { throw CatalogError.invalid(location: "test facts", reason: "there is no table '\(table)' in the store schema") }
        return out
    }

    /// Inserts one row, filling NOT NULL columns the row leaves out with '' or 0.
    static func insert(_ db: Database, _ table: String, _ row: [String: JSONValue]) throws {
        let cols = try columns(db, table)
        var values = row
        for (name, c) in cols where c.notNull && !c.hasDefault && values[name] == nil && name != "id" {
            values[name] = c.type.contains("INT") || c.type.contains("REAL") ? .int(0) : .string("")
        }
        if let unknown = values.keys.first(where: { cols[$0] == nil }) {
            throw CatalogError.invalid(location: "test facts", reason: "table \(table) has no column '\(unknown)'")
        }
        let names = values.keys.sorted()
        let sql = "INSERT INTO \(table)(\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
        try db.execute(sql: sql, arguments: StatementArguments(names.map { databaseValue(values[$0]!) }))
    }

    static func databaseValue(_ v: JSONValue) -> DatabaseValue {
        switch v {
        case .null: return .null
        case .bool(let b): return (b ? 1 : 0).databaseValue
        case .int(let i): return i.databaseValue
        case .double(let d): return d.databaseValue
        case .string(let s): return s.databaseValue
        case .array, .object: return v.canonicalText.databaseValue
        }
    }
}
