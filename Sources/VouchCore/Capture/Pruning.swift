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
    /// Captures the policy chose but that stay: git history later captures build on could not be
    /// kept verifiably (the capture was sealed before per-table digests, or its facts no longer
    /// match its seal: `vouch verify` tells which).
    public var kept: [Int64] = []
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
                if try prune(db, captureID: id, reason: reason, now: now) { outcome.captures.append(id) } else { outcome.kept.append(id) }
            }
            if !outcome.captures.isEmpty {
                (outcome.items, outcome.blobs) = try collectGarbage(db)
            }
            return outcome
        }
    }

    /// Removes one capture and records its marker (garbage is collected by `collectGarbage`).
    ///
    /// Git history is stored once, by the capture that first read it, and later captures build on
    /// it (see `Schema.registerGit`). While a later capture collects one of its repositories, the
    /// capture's rows in `Schema.gitHistoryTables` stay (all of them, other repositories' too, so
    /// each kept table's digest can be recomputed whole). The marker then keeps the manifest fields
    /// and the digest of every table the capture had rows in, so `vouch verify` recomputes the kept
    /// tables' digests and checks them against the seal. Returns false, leaving the capture in
    /// place, when that is not possible: its facts do not match its seal (version 1 digest, or
    /// changed since).
    @discardableResult
    public static func prune(_ db: Database, captureID id: Int64, reason: String, now: Date = Date()) throws -> Bool {
        guard let c = try Row.fetchOne(db, sql: """
            SELECT seal, prev_seal, manifest_sha256, started_at, finished_at, host, tool_version, profile_sha256, facts_sha256
            FROM capture WHERE id = ?
            """, arguments: [id]) else {
            throw StoreError.noSuchCapture(id)
        }
        let kept = try historyLaterCapturesNeed(db, captureID: id)
        var manifestFields: String?
        var tableDigests: String?
        if !kept.isEmpty {
            let digests = try Seal.tableDigests(db, captureID: id)
            guard Seal.factsDigest(tableDigests: digests) == (c[8] as String) else { return false }
            let sources = try Seal.sourceLines(db, captureID: id)
            manifestFields = JSONValue.object([
                "started_at": .string(c[3]), "finished_at": .string(c[4]), "host": .string(c[5]), "tool_version": .string(c[6]),
                "profile_sha256": (c[7] as String?).map { .string($0) } ?? .null, "facts_sha256": .string(c[8]),
                "sources": .array(sources.map { l in
                    .object(["seq": .int(l.seq), "source": .string(l.source), "target": .string(l.target), "status": .string(l.status),
                             "set_sha256": .string(l.setSHA256)])
                }),
            ]).canonicalText
            tableDigests = JSONValue.object(Dictionary(uniqueKeysWithValues: digests.map { ($0.table, .string($0.digest)) })).canonicalText
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
        // Fact rows of every registered fact table (but the git history later captures need).
        for table in try String.fetchAll(db, sql: "SELECT name FROM fact_table ORDER BY name")
        where try !kept.contains(table) && db.tableExists(table) {
            try db.execute(sql: "DELETE FROM \(quoted(table)) WHERE capture_id = ?", arguments: [id])
        }
        // Any other table that points at the capture (areas may add some): without this the delete would fail.
        for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        where !["capture", "capture_source", "capture_pruned"].contains(table) && !kept.contains(table) {
            let refs = try Row.fetchAll(db, sql: "SELECT \"table\", \"from\" FROM pragma_foreign_key_list(?)", arguments: [table])
            for ref in refs where (ref[0] as String) == "capture" {
                try db.execute(sql: "DELETE FROM \(quoted(table)) WHERE \(quoted(ref[1] as String)) = ?", arguments: [id])
            }
        }
        try db.execute(sql: "DELETE FROM capture_source WHERE capture_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM capture WHERE id = ?", arguments: [id])
        try db.execute(sql: """
            INSERT INTO capture_pruned(id, seal, prev_seal, manifest_sha256, started_at, pruned_at, reason,
                                       manifest_fields, table_digests, kept_tables)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, c[0], c[1], c[2], c[3], Timestamp.string(now), reason, manifestFields, tableDigests,
                             kept.isEmpty ? nil : JSONValue.array(kept.map { .string($0) }).canonicalText])
        return true
    }

    /// The history tables in which the capture has rows that a later capture builds on: those of
    /// a repository that a later capture collects too. Empty when nothing needs keeping.
    static func historyLaterCapturesNeed(_ db: Database, captureID id: Int64) throws -> [String] {
        guard try db.tableExists("git_capture_repo") else { return [] }
        let later = try Bool.fetchOne(db, sql: """
            SELECT EXISTS(SELECT 1 FROM git_capture_repo a JOIN git_capture_repo b ON b.repo = a.repo AND b.capture_id > a.capture_id
                          WHERE a.capture_id = ?)
            """, arguments: [id]) ?? false
        guard later else { return [] }
        return try Schema.gitHistoryTables.filter { table in
            try db.tableExists(table)
                && (try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM \(quoted(table)) WHERE capture_id = ?)", arguments: [id]) ?? false)
        }
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
