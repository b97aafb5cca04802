import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

/// Commits are stored once, by the capture that first read them; pruning that capture must not
/// take them away from the captures that build on them, and they must stay verifiable.
@Suite("GitCollector history and pruning")
struct GitPruningTests {
    /// Every column of the `git_commit` and `git_change` views for a capture, as text lines.
    static func answer(_ store: EvidenceStore, _ capture: Int64) throws -> [String] {
        let commits = try GitFixture.rows(store, "SELECT * FROM git_commit WHERE capture_id = ? ORDER BY id", [capture])
        let changes = try GitFixture.rows(store, "SELECT * FROM git_change WHERE capture_id = ? ORDER BY commit_id, path", [capture])
        return (commits + changes).map { $0.description }
    }

    @Test func pruningKeepsTheHistoryLaterCapturesShowAndVerifyChecksIt() throws {
        guard GitFixture.toolsPresent else { return TestSupport.skip("git, ssh-keygen or gpg is missing") }
        let dir = try GitFixture.infra()
        let repo = dir.appendingPathComponent("infra")
        let storePath = dir.appendingPathComponent("v.db").path
        let store = try EvidenceStore(path: storePath)
        _ = try GitFixture.collect(store, repo)
        try GitFixture.bash("""
            echo "replicas: 7" > k8s/scale.yaml; git add -A
            GIT_AUTHOR_DATE="2026-11-24T08:00:00Z" GIT_COMMITTER_DATE="2026-11-24T08:00:00Z" git commit -q -m "Scale to 7"
            """, in: repo)
        let c2 = try GitFixture.collect(store, repo).captureID
        let c3 = try GitFixture.collect(store, repo).captureID
        let before = try Self.answer(store, c3)
        #expect(before.count > 11)
        #expect(try Self.answer(store, c2) == before.map { $0.replacingOccurrences(of: "capture_id:\(c3)", with: "capture_id:\(c2)") })

        let outcome = try Pruning.apply(store, policy: PruningPolicy(keepLast: 1), reason: "test")
        #expect(outcome.captures == [1, c2])
        #expect(outcome.kept.isEmpty)
        // The newest capture still answers with every commit, change and state it had.
        #expect(try Self.answer(store, c3) == before)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_capture_repo") == 1)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM capture_pruned WHERE kept_tables IS NOT NULL") == 2)
        #expect(try Verifier(store: store).verify().isIntact)

        // A kept row changed after pruning is found, and named.
        try store.pool.write { db in
            try db.execute(sql: "UPDATE git_commit_row SET author_email = 'mallory@example.com' WHERE capture_id = 1 AND rowid = (SELECT min(rowid) FROM git_commit_row)")
        }
        let report = try Verifier(store: store).verify()
        #expect(!report.isIntact)
        #expect(report.problems.contains { $0.captureID == 1 && $0.message.contains("git_commit_row rows kept") })
        // So is a marker whose kept digests were rewritten to match.
        try store.pool.write { db in
            let digest = try Seal.tableDigest(db, table: "git_commit_row", captureID: 1)!
            try db.execute(sql: "UPDATE capture_pruned SET table_digests = json_set(table_digests, '$.git_commit_row', ?) WHERE id = 1",
                           arguments: [digest])
        }
        let again = try Verifier(store: store).verify()
        #expect(again.problems.contains { $0.captureID == 1 && $0.message.contains("do not give the facts digest") })
    }

    /// A repository no later capture collects leaves nothing behind.
    @Test func historyNoLaterCaptureNeedsGoesWithTheCapture() throws {
        guard GitFixture.toolsPresent else { return TestSupport.skip("git, ssh-keygen or gpg is missing") }
        let dir = try GitFixture.infra()
        let repo = dir.appendingPathComponent("infra")
        let store = try EvidenceStore(path: dir.appendingPathComponent("v.db").path)
        _ = try GitFixture.collect(store, repo)
        // A later capture of something else.
        let other = dir.appendingPathComponent("other.yaml")
        try "a: 1\n".write(to: other, atomically: true, encoding: .utf8)
        let runner = CaptureRunner(store: store, collectors: [FilesCollector()])
        _ = try runner.run([SourceRequest(source: "files", target: other.path)])
        let outcome = try Pruning.apply(store, policy: PruningPolicy(keepLast: 1), reason: "test")
        #expect(outcome.captures == [1])
        for table in ["git_commit_row", "git_change_row", "git_commit_state", "git_capture_repo", "git_ref"] {
            #expect(try GitFixture.int(store, "SELECT count(*) FROM \(table)") == 0, "\(table)")
        }
        #expect(try GitFixture.int(store, "SELECT count(*) FROM capture_pruned WHERE kept_tables IS NULL") == 1)
        #expect(try Verifier(store: store).verify().isIntact)
    }
}
