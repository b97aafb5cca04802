import Foundation
import GRDB

/// Which captures a retention policy keeps: the newest `keepLast`, and those younger than `keepFor`.
/// A capture is pruned only when both say it may go; the newest capture is always kept.
public struct PruningPolicy: Sendable, Hashable {
    public var keepLast: Int?
    public var keepFor: TimeInterval?

    public init(keepLast: Int? = nil, keepFor: TimeInterval? = nil) {
        self.keepLast = keepLast
        self.keepFor = keepFor
    }

    public var isEmpty: Bool { keepLast == nil && keepFor == nil }
}

/// What a pruning pass removed.
public struct PruningOutcome: Sendable, Hashable {
    public var captures: [Int64] = []
    public var items = 0
    public var blobs = 0
}

/// Removes old captures while keeping the chain verifiable.
///
/// A pruned capture leaves a marker in `capture_pruned` with its seal, previous seal and
/// manifest hash, so `vouch verify` still walks an unbroken chain. Its sources, fact rows,
/// engine results and any other rows tied to it go; item sets, items and blobs that no
/// remaining capture uses are then garbage-collected. All of it is one transaction.
public enum Pruning {
    /// The captures the policy would remove, oldest first.
    public static func candidates(_ db: Database, policy: PruningPolicy, now: Date = Date()) throws -> [Int64] {
        guard !policy.isEmpty else { return [] }
        let rows = try Row.fetchAll(db, sql: "SELECT id, started_at FROM capture ORDER BY id DESC")
        var out: [Int64] = []
        for (rank, r) in rows.enumerated() where rank > 0 {
            let id: Int64 = r[0]
            let beyondCount = policy.keepLast.map { rank >= $0 } ?? true
            let beyondAge: Bool = policy.keepFor.map { age in
                guard let started = Timestamp.parse(r[1]) else { return false }
                return now.timeIntervalSince(started) > age
            } ?? true
            if beyondCount && beyondAge { out.append(id) }
        }
        return out.reversed()
    }

    /// Applies a policy in one write transaction.
    @discardableResult
    public static func apply(_ store: EvidenceStore, policy: PruningPolicy, now: Date = Date(), reason: String) throws -> PruningOutcome {
        try store.pool.write { db in
            var outcome = PruningOutcome()
            for id in try candidates(db, policy: policy, now: now) {
                try prune(db, captureID: id, reason: reason, now: now)
                outcome.captures.append(id)
            }
            if !outcome.captures.isEmpty {
                (outcome.items, outcome.blobs) = try collectGarbage(db)
            }
            return outcome
        }
    }

    /// Removes one capture and records its marker (garbage is collected by `collectGarbage`).
    public static func prune(_ db: Database, captureID id: Int64, reason: String, now: Date = Date()) throws {
        guard let c = try Row.fetchOne(db, sql: "SELECT seal, prev_seal, manifest_sha256, started_at FROM capture WHERE id = ?",
                                       arguments: [id]) else {
            throw StoreError.noSuchCapture(id)
        }
        // Engine results: control rows first (they reference evaluations), then checks and evaluations.
        if try db.tableExists("evaluation") {
            try db.execute(sql: "DELETE FROM control_result WHERE evaluation_id IN (SELECT id FROM evaluation WHERE capture_id = ?)", arguments: [id])
            try db.execute(sql: "DELETE FROM check_result WHERE evaluation_id IN (SELECT id FROM evaluation WHERE capture_id = ?)", arguments: [id])
            try db.execute(sql: "DELETE FROM evaluation WHERE capture_id = ?", arguments: [id])
        }
        // Derived rows without a foreign key: the policy verification behind the `policy_verification` view.
        for table in Schema.policyVerificationTables where try db.tableExists(table) {
            try db.execute(sql: "DELETE FROM \(quoted(table)) WHERE capture_id = ?", arguments: [id])
        }
        // Fact rows of every registered fact table.
        for table in try String.fetchAll(db, sql: "SELECT name FROM fact_table ORDER BY name") where try db.tableExists(table) {
            try db.execute(sql: "DELETE FROM \(quoted(table)) WHERE capture_id = ?", arguments: [id])
        }
        // Any other table that points at the capture (areas may add some): without this the delete would fail.
        for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        where !["capture", "capture_source", "capture_pruned"].contains(table) {
            let refs = try Row.fetchAll(db, sql: "SELECT \"table\", \"from\" FROM pragma_foreign_key_list(?)", arguments: [table])
            for ref in refs where (ref[0] as String) == "capture" {
                try db.execute(sql: "DELETE FROM \(quoted(table)) WHERE \(quoted(ref[1] as String)) = ?", arguments: [id])
            }
        }
        try db.execute(sql: "DELETE FROM capture_source WHERE capture_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM capture WHERE id = ?", arguments: [id])
        try db.execute(sql: """
            INSERT INTO capture_pruned(id, seal, prev_seal, manifest_sha256, started_at, pruned_at, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, c[0], c[1], c[2], c[3], Timestamp.string(now), reason])
    }

    /// Deletes item sets no capture uses, then items in no set, then blobs that no item
    /// (and no fact column named like `blob…`, for areas that cite blobs from facts) names.
    public static func collectGarbage(_ db: Database) throws -> (items: Int, blobs: Int) {
        try db.execute(sql: """
            DELETE FROM item_set_member WHERE set_id NOT IN (SELECT set_id FROM capture_source);
            DELETE FROM item_set WHERE id NOT IN (SELECT set_id FROM capture_source);
            """)
        try db.execute(sql: "DELETE FROM item WHERE id NOT IN (SELECT item_id FROM item_set_member)")
        let items = db.changesCount
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS vouch_gc_keep(sha256 TEXT PRIMARY KEY) WITHOUT ROWID;
            DELETE FROM vouch_gc_keep;
            INSERT OR IGNORE INTO vouch_gc_keep SELECT blob_sha256 FROM item WHERE blob_sha256 IS NOT NULL;
            """)
        for table in try String.fetchAll(db, sql: "SELECT name FROM fact_table ORDER BY name") where try db.tableExists(table) {
            for column in try db.columns(in: table).map(\.name) where column.contains("blob") {
                try db.execute(sql: "INSERT OR IGNORE INTO vouch_gc_keep SELECT \(quoted(column)) FROM \(quoted(table)) WHERE \(quoted(column)) IS NOT NULL")
            }
        }
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS vouch_gc_blob(id INTEGER PRIMARY KEY);
            DELETE FROM vouch_gc_blob;
            INSERT INTO vouch_gc_blob(id) SELECT id FROM blob WHERE sha256 NOT IN (SELECT sha256 FROM vouch_gc_keep);
            DELETE FROM blob_chunk WHERE blob_id IN (SELECT id FROM vouch_gc_blob);
            DELETE FROM blob WHERE id IN (SELECT id FROM vouch_gc_blob);
            """)
        let blobs = db.changesCount
        try db.execute(sql: "DROP TABLE vouch_gc_blob; DROP TABLE vouch_gc_keep")
        return (items, blobs)
    }

    private static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
