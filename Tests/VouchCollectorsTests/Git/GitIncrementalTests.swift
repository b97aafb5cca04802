import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

@Suite("GitCollector incremental")
struct GitIncrementalTests {
    /// Captures read only new commits, yet each capture's views answer "all commits as of then".
    @Test func secondCaptureReadsExactlyTheNewCommits() throws {
        guard GitFixture.toolsPresent else { return TestSupport.skip("git, ssh-keygen or gpg is missing") }
        let dir = try GitFixture.infra()
        let repo = dir.appendingPathComponent("infra")
        let store = try EvidenceStore(path: dir.appendingPathComponent("v.db").path)
        let c1 = try GitFixture.collect(store, repo).captureID
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_commit WHERE capture_id = ?", [c1]) == 10)

        try GitFixture.bash("""
            for i in 1 2 3; do
              echo "replicas: $i" > k8s/scale.yaml; git add -A
              GIT_AUTHOR_DATE="2026-11-2${i}T08:00:00Z" GIT_COMMITTER_DATE="2026-11-2${i}T08:00:00Z" git commit -q -m "Scale to $i"
            done
            """, in: repo)
        let c2 = try GitFixture.collect(store, repo).captureID
        #expect(try GitFixture.int(store, "SELECT new_commit_count FROM git_capture_repo WHERE capture_id = ?", [c2]) == 3)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_commit_row WHERE capture_id = ?", [c2]) == 3)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_change_row WHERE capture_id = ?", [c2]) == 3)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_commit WHERE capture_id = ?", [c2]) == 13)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_commit WHERE capture_id = ?", [c1]) == 10)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_commit WHERE capture_id = ? AND direct_push = 1 AND summary LIKE 'Scale to %'", [c2]) == 3)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_change WHERE capture_id = ?", [c2])
                == GitFixture.int(store, "SELECT count(*) FROM git_change WHERE capture_id = ?", [c1]) + 3)

        // Nothing new: no commit rows, no state rows, the same answer.
        let c3 = try GitFixture.collect(store, repo).captureID
        #expect(try GitFixture.int(store, "SELECT new_commit_count FROM git_capture_repo WHERE capture_id = ?", [c3]) == 0)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_commit_state WHERE capture_id = ?", [c3]) == 0)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_commit WHERE capture_id = ?", [c3]) == 13)

        // A force push drops two commits and adds one: the new capture says so, the old ones keep their answer.
        let dropped = try GitFixture.bash("git rev-parse HEAD HEAD~1", in: repo).split(separator: "\n").map(String.init)
        try GitFixture.bash("""
            git reset -q --hard HEAD~2
            echo "replicas: 9" > k8s/scale.yaml; git add -A
            GIT_AUTHOR_DATE="2026-11-25T08:00:00Z" GIT_COMMITTER_DATE="2026-11-25T08:00:00Z" git commit -q -m "Scale to 9"
            """, in: repo)
        let c4 = try GitFixture.collect(store, repo).captureID
        #expect(try GitFixture.int(store, "SELECT new_commit_count FROM git_capture_repo WHERE capture_id = ?", [c4]) == 1)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_commit WHERE capture_id = ?", [c4]) == 12)
        #expect(try GitFixture.int(store, "SELECT commit_count FROM git_capture_repo WHERE capture_id = ?", [c4]) == 12)
        for id in dropped {
            #expect(try GitFixture.int(store, "SELECT count(*) FROM git_commit WHERE capture_id = ? AND id = ?", [c4, id]) == 0)
            #expect(try GitFixture.int(store, "SELECT count(*) FROM git_commit WHERE capture_id = ? AND id = ?", [c3, id]) == 1)
        }

        // Narrower path filters: touches_infra is recomputed from the stored changes, without re-reading commits.
        let c5 = try GitFixture.collect(store, repo, options: ["paths": ["talos/"]]).captureID
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_commit_row WHERE capture_id = ?", [c5]) == 0)
        let talos = try GitFixture.bash("""
            for c in $(git rev-list --all); do
              git diff-tree --no-commit-id -r --name-only --root -m --first-parent $c | grep '^talos/' > /dev/null && echo $c || true
            done
            """, in: repo).split(separator: "\n").map(String.init).sorted()
        let touched = try GitFixture.rows(store, "SELECT id FROM git_commit WHERE capture_id = ? AND touches_infra = 1 ORDER BY id", [c5])
            .map { $0[0] as String }
        #expect(touched == talos && talos.count == 3)
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_change WHERE capture_id = ? AND path NOT LIKE 'talos/%'", [c5]) == 0)
        #expect(try Verifier(store: store).verify().isIntact)

        // Tampering with a shared commit row breaks the capture that first stored it.
        try TestSupport.sqlite(URL(fileURLWithPath: store.path),
                               "UPDATE git_commit_row SET author_name = 'Mallory' WHERE rowid = (SELECT min(rowid) FROM git_commit_row);")
        let report = try Verifier(store: store).verify()
        #expect(report.problems.contains { $0.captureID == c1 && $0.message.contains("fact rows") })
    }
}
