import Foundation
import GRDB
import Logging
import Testing
@testable import VouchCore
import VouchTestSupport

/// `Seal.factsDigest` reads columns with the SQLite API; sealed stores must still verify, so its
/// digests (version 2, and version 1 for earlier captures) must stay the ones the Swift-value
/// versions computed. Those are kept here as the reference.
@Suite struct FactsDigestTests {
    /// Hashes a capture's rows of one table, field by field from Swift values; returns the row count.
    /// With `trim`, a row ends at its last value that is not NULL (version 2).
    static func referenceRows(_ db: Database, table: String, captureID: Int64, trim: Bool = false,
                              into h: inout FieldHasher) throws -> Int {
        var count = 0
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM \(table) WHERE capture_id = ? ORDER BY rowid", arguments: [captureID])
        while let row = try rows.next() {
            count += 1
            var values = Array(row.databaseValues)
            while trim, values.last?.isNull == true { values.removeLast() }
            h.add(Int64(values.count))
            for value in values {
                switch value.storage {
                case .null: h.add(bytes: [], tag: 0x4E)
                case .int64(let i): h.add(bytes: Array(String(i).utf8), tag: 0x49)
                case .double(let d): h.add(bytes: Array(String(d.bitPattern).utf8), tag: 0x44)
                case .string(let s): h.add(bytes: Array(s.utf8), tag: 0x53)
                case .blob(let b): h.add(bytes: Array(b), tag: 0x42)
                }
            }
        }
        return count
    }

    /// Version 1: one hash over every registered table's name and rows.
    static func referenceDigestV1(_ db: Database, captureID: Int64) throws -> String {
        var h = FieldHasher(domain: "vouch.facts.v1")
        let tables = try String.fetchAll(db, sql: "SELECT name FROM fact_table ORDER BY name")
        for table in tables {
            h.add(table)
            guard try db.tableExists(table) else { h.add("missing"); continue }
            _ = try referenceRows(db, table: table, captureID: captureID, into: &h)
        }
        return h.finalizeHex()
    }

    /// Version 2: the name and own digest of each table holding rows of the capture.
    static func referenceDigest(_ db: Database, captureID: Int64) throws -> String {
        var h = FieldHasher(domain: "vouch.facts.v2")
        let tables = try String.fetchAll(db, sql: "SELECT name FROM fact_table ORDER BY name")
        for table in tables where try db.tableExists(table) {
            var t = FieldHasher(domain: "vouch.facts.table.v1")
            guard try referenceRows(db, table: table, captureID: captureID, trim: true, into: &t) > 0 else { continue }
            h.add(table)
            h.add(t.finalizeHex())
        }
        return h.finalizeHex()
    }

    @Test func digestMatchesTheSwiftValueDigest() throws {
        let dir = try TestSupport.makeTempDir("vouch-facts")
        let store = try EvidenceStore(path: dir.appendingPathComponent("v.db").path)
        try store.pool.write { db in
            try db.execute(sql: "CREATE TABLE zz_probe (capture_id INTEGER, a, b, c)")
            try db.execute(sql: "CREATE TABLE aa_probe (capture_id INTEGER, v)")
            try db.execute(sql: "CREATE INDEX aa_probe_capture ON aa_probe(capture_id, v)")
            try Schema.registerFactTable(db, name: "zz_probe", source: "test", description: "probe")
            try Schema.registerFactTable(db, name: "aa_probe", source: "test", description: "probe")
            try Schema.registerFactTable(db, name: "gone_probe", source: "test", description: "never created")
            let values: [DatabaseValue] = [
                .null, 0.databaseValue, (-1).databaseValue, Int64.min.databaseValue, Int64.max.databaseValue,
                0.0.databaseValue, (-0.0).databaseValue, 1.5.databaseValue, Double.nan.databaseValue, (-1e300).databaseValue,
                "".databaseValue, "plain ascii".databaseValue, "héllo wörld ✓".databaseValue, "a\r\nb".databaseValue,
                Data().databaseValue, Data([0, 1, 2, 255]).databaseValue, Data(repeating: 7, count: 70_000).databaseValue,
                String(repeating: "x", count: 100_000).databaseValue,
            ]
            for (i, v) in values.enumerated() {
                try db.execute(sql: "INSERT INTO zz_probe VALUES (1, ?, ?, ?)", arguments: [v, i, values[(i + 3) % values.count]])
                try db.execute(sql: "INSERT INTO aa_probe VALUES (?, ?)", arguments: [i % 2 + 1, v])
            }
            // Text GRDB reads with String(cString:): cut at a NUL, invalid UTF-8 repaired.
            try db.execute(sql: "INSERT INTO zz_probe VALUES (1, CAST(x'6869006869' AS TEXT), CAST(x'61ff62c3' AS TEXT), CAST(x'00' AS TEXT))")
            try db.execute(sql: "INSERT INTO zz_probe VALUES (1, CAST(x'c3a900' AS TEXT), CAST(x'eda080' AS TEXT), x'')")
            for i in 0..<5_000 {
                // Captures 1 and 4 interleave (rowid ranges overlap), in an order unlike the index's.
                try db.execute(sql: "INSERT INTO aa_probe VALUES (?, ?)",
                               arguments: [i % 3 == 0 ? 4 : 1, "row \(5_000 - i) " + String(repeating: "é", count: i % 7)])
            }
            try db.execute(sql: "DELETE FROM aa_probe WHERE rowid % 11 = 0")
        }
        try store.pool.read { db in
            for capture: Int64 in [1, 2, 3, 4] {
                let digest = try Seal.factsDigest(db, captureID: capture)
                #expect(digest == (try Self.referenceDigest(db, captureID: capture)))
                #expect(try Seal.factsDigestV1(db, captureID: capture) == (try Self.referenceDigestV1(db, captureID: capture)))
                #expect(digest != (try Self.referenceDigestV1(db, captureID: capture)))
            }
        }
        // A later migration that adds a column or a fact table leaves version 2 digests alone.
        let before = try store.pool.read { db in try [1, 2, 3, 4].map { try Seal.factsDigest(db, captureID: $0) } }
        try store.pool.write { db in
            try db.execute(sql: "ALTER TABLE zz_probe ADD COLUMN d")
            try db.execute(sql: "CREATE TABLE mm_probe (capture_id INTEGER, v)")
            try Schema.registerFactTable(db, name: "mm_probe", source: "test", description: "added later")
        }
        let after = try store.pool.read { db in try [1, 2, 3, 4].map { try Seal.factsDigest(db, captureID: $0) } }
        #expect(before == after)
        // A value in the new column is sealed like any other.
        try store.pool.write { db in try db.execute(sql: "UPDATE zz_probe SET d = 1 WHERE rowid = 2") }
        #expect(try store.pool.read { db in try Seal.factsDigest(db, captureID: 1) } != before[0])
    }
}

/// Captures sealed before version 2 still verify, through the version 1 digest, across the
/// migration that rebuilt the git tables and added columns to `git_commit_row`.
@Suite struct FactsDigestV1CompatibilityTests {
    @Test func aStoreSealedBeforeTheGitHistoryMigrationStillVerifies() throws {
        let path = try TestSupport.makeTempDir("vouch-v1").appendingPathComponent("v.db").path
        let q = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(q, upTo: "2026-11-25 policy verification, compact")
        try q.write { db in
            try db.execute(sql: """
                INSERT INTO capture(id, started_at, finished_at, host, tool_version, item_count, error_count, facts_sha256,
                                    manifest_sha256, prev_seal, seal) VALUES (1, 's', 'f', 'h', 'v', 0, 0, '', '', '', 'x');
                INSERT INTO git_capture_repo(capture_id, repo, path, scope, config_sha256, tips, shallow, commit_count,
                                             new_commit_count, error_count, complete)
                VALUES (1, 'infra', '/src/infra', '"all"', 'x', '[]', 0, 1, 1, 0, 1);
                INSERT INTO git_commit_row(capture_id, repo, id, tree, parents, parent_count, author_name, author_email, author_time,
                  author_epoch, author_tz, committer_name, committer_email, committer_time, committer_epoch, committer_tz, summary,
                  message, message_sha256, signature_type, review_count, is_merge, merger_differs, shallow, changes_read)
                VALUES (1, 'infra', 'c0ffee', 't', '', 0, 'A', 'a@x', '2026-01-01T00:00:00.000Z', 0, 0, 'A', 'a@x',
                        '2026-01-01T00:00:00.000Z', 0, 0, 's', 'm', 'h', 'none', 0, 0, 0, 0, 1);
                INSERT INTO git_commit_state(capture_id, repo, commit_id, present, first_parent_main, touches_infra, signature_status)
                VALUES (1, 'infra', 'c0ffee', 1, 1, 1, 'unverified');
                """)
            let facts = try FactsDigestTests.referenceDigestV1(db, captureID: 1)
            let manifest = Seal.manifest(id: 1, startedAt: "s", finishedAt: "f", host: "h", toolVersion: "v", profileSHA256: nil,
                                         sources: [], factsSHA256: facts)
            try db.execute(sql: "UPDATE capture SET facts_sha256 = ?, manifest_sha256 = ?, prev_seal = ?, seal = ? WHERE id = 1",
                           arguments: [facts, manifest, Hashing.zeroSeal, Seal.seal(previous: Hashing.zeroSeal, manifest: manifest)])
        }
        try q.close()
        let store = try EvidenceStore(path: path)
        #expect(try Verifier(store: store).verify().isIntact)
        #expect(try store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, first_parent_main, direct_push FROM git_commit WHERE capture_id = 1")
        } == ["id": "c0ffee", "first_parent_main": 1, "direct_push": 1])
        // Version 1 still seals every value it covered.
        try store.pool.write { db in try db.execute(sql: "UPDATE git_commit_row SET summary = 'changed'") }
        #expect(!(try Verifier(store: store).verify().isIntact))
    }
}

/// Inserts into a probe fact table through `CaptureSink.digestingInsert`; `fail` throws afterwards.
struct DigestingProbeCollector: Collector {
    let source = "probe"
    let targetSyntax = "NAME"
    let summary = "probe rows (tests only)"

    func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        let insert = try sink.digestingInsert(table: "zz_digest_probe", columns: ["capture_id", "a", "b", "c"])
        let texts = ["plain", "héllo ✓", "cut\u{0}here", "", "\u{0}"]
        for (i, t) in texts.enumerated() {
            try insert.run { v in v.add(sink.captureID); v.add(t); v.add(Int64(-i) * 1_000_000_007); v.addNull() }
            try insert.run { v in v.add(sink.captureID); v.addNull(); v.add(i % 2 == 0 ? nil : Int64(i)); v.add(t) }
        }
        if request.target == "fail" { throw CollectError.unknownSource("probe", known: []) }
    }
}

/// The digest framed on insert must be the one read back; where it cannot be trusted it is not used.
@Suite struct FactDigestsOnInsertTests {
    func store() throws -> EvidenceStore {
        let store = try EvidenceStore(path: try TestSupport.makeTempDir("vouch-digest").appendingPathComponent("v.db").path)
        try store.pool.write { db in
            try db.execute(sql: "CREATE TABLE zz_digest_probe (capture_id INTEGER, a TEXT, b INTEGER, c TEXT)")
            try db.execute(sql: "CREATE INDEX zz_digest_probe_capture ON zz_digest_probe(capture_id)")
            try Schema.registerFactTable(db, name: "zz_digest_probe", source: "test", description: "probe")
        }
        return store
    }

    @Test func framedOnInsertEqualsReadBack() throws {
        let store = try store()
        let runner = CaptureRunner(store: store, collectors: [DigestingProbeCollector()])
        // Two sources into the same table, then one that fails after inserting (rolled back).
        _ = try runner.run([SourceRequest(source: "probe", target: "a"), SourceRequest(source: "probe", target: "b")])
        _ = try runner.run([SourceRequest(source: "probe", target: "a"), SourceRequest(source: "probe", target: "fail")])
        try store.pool.write { db in
            let digests = FactDigests()
            let sink = CaptureSink(db: db, captureID: 9, source: "probe", target: "x", redactor: Redactor(), factDigests: digests)
            try DigestingProbeCollector().collect(
                CollectRequest(source: "probe", target: "x", options: [:], host: "h", baseDirectory: URL(fileURLWithPath: "/"),
                               logger: .init(label: "t"), redactor: Redactor(), progress: { _ in }), into: sink)
            let framed = try #require(try digests.usable(db, table: "zz_digest_probe", captureID: 9))
            #expect(framed == (try Seal.tableDigest(db, table: "zz_digest_probe", captureID: 9)))
            // A row the accumulator did not see: not used.
            try db.execute(sql: "INSERT INTO zz_digest_probe VALUES (9, 'extra', 1, NULL)")
            #expect(try digests.usable(db, table: "zz_digest_probe", captureID: 9) == nil)
            // Columns not the table's, in order: never used.
            let wrong = try digests.digest(db, table: "zz_digest_probe", columns: ["capture_id", "b", "a", "c"])
            #expect(!wrong.valid)
        }
        #expect(try Verifier(store: store).verify().isIntact)
    }
}
