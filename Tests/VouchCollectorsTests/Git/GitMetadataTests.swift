import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

/// A repository's first metadata-only capture walks and reads in one pass (`GitStreamingWalk`);
/// its answer must be the one the walk-then-read path gives, commit by commit.
@Suite("GitCollector metadata only")
struct GitMetadataTests {
    /// The `git_commit` columns that do not depend on reading the changes.
    static let columns = """
        id, tree, parents, parent_count, author_name, author_email, author_time, author_epoch, committer_name, committer_email,
        committer_time, committer_epoch, summary, message_sha256, signature_type, signature_status, signer, trailers, review_count,
        is_merge, pr_number, pr_source, first_parent_main, direct_push, merged_author_email, merger_differs, shallow, message, encoding
        """

    static func answer(_ store: EvidenceStore) throws -> [String] {
        try GitFixture.rows(store, "SELECT \(columns) FROM git_commit ORDER BY id").map(\.description)
    }

    @Test func onePassAnswersAsTheFullReadDoes() throws {
        guard GitFixture.toolsPresent else { return TestSupport.skip("git, ssh-keygen or gpg is missing") }
        let dir = try GitFixture.infra()
        let repo = dir.appendingPathComponent("infra")
        // Side branches off older main commits: whichever tip sorts first, main's first-parent line
        // must still be told apart from them.
        try GitFixture.bash("""
            for b in 1 2 3 4 5 6; do
              git checkout -q -b side$b main~$b
              echo "side $b" > side$b.txt; git add -A
              GIT_AUTHOR_DATE="2026-11-2${b}T09:00:00Z" GIT_COMMITTER_DATE="2026-11-2${b}T09:00:00Z" git commit -q -m "Side $b"
            done
            git checkout -q main
            """, in: repo)
        let trust: [String: JSONValue] = ["allowed_signers": .string(dir.appendingPathComponent("allowed_signers").path),
                                          "gpg_keyring": .string(dir.appendingPathComponent("keyring.asc").path)]
        let meta = try EvidenceStore(path: dir.appendingPathComponent("meta.db").path)
        var options = trust
        options["changes"] = "none"
        let outcome = try GitFixture.collect(meta, repo, options: options)
        #expect(outcome.errorCount == 0)
        let full = try EvidenceStore(path: dir.appendingPathComponent("full.db").path)
        try GitFixture.collect(full, repo, options: trust)
        let answer = try Self.answer(meta)
        #expect(answer.count == 16)
        #expect(answer == (try Self.answer(full)))
        #expect(try GitFixture.int(meta, "SELECT count(*) FROM git_commit WHERE first_parent_main = 1")
                == Int64(try GitFixture.bash("git rev-list --first-parent main | wc -l", in: repo).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try GitFixture.int(meta, "SELECT count(*) FROM git_commit WHERE signature_status = 'good'") == 2)
        #expect(try GitFixture.int(meta, "SELECT count(*) FROM git_commit WHERE change_count IS NOT NULL") == 0)
        #expect(try GitFixture.int(meta, "SELECT commit_count FROM git_capture_repo") == 16)
    }

    @Test func missingCommitsAreErrorItemsInOnePassToo() throws {
        guard TestSupport.which("git") != nil else { return TestSupport.skip("git is missing") }
        let dir = try TestSupport.makeTempDir("vouch-git-meta")
        let repo = dir.appendingPathComponent("r")
        try GitFixture.bash("""
            git init -q r && cd r
            for i in 1 2 3 4 5; do echo $i > f$i; git add -A; git -c user.name=A -c user.email=a@x commit -q -m "Commit $i"; done
            c=$(git rev-parse HEAD~3); rm .git/objects/${c:0:2}/${c:2}
            """, in: dir)
        let store = try EvidenceStore(path: dir.appendingPathComponent("v.db").path)
        let outcome = try GitFixture.collect(store, repo, options: ["changes": "none"])
        #expect(outcome.sources.first?.status == "partial")
        #expect(try GitFixture.rows(store, "SELECT summary FROM git_commit ORDER BY summary").map { $0[0] as String }
                == ["Commit 3", "Commit 4", "Commit 5"])
        let missing = try GitFixture.rev(repo, "HEAD~3")
        let errors = try GitFixture.rows(store, "SELECT json_extract(data, '$.error') FROM evidence WHERE status = 'error'")
        #expect(errors.count == 1)
        #expect(errors.first.map { ($0[0] as String).contains("commit \(missing) (a parent of") } == true)
        #expect(try GitFixture.int(store, "SELECT complete FROM git_capture_repo") == 0)
    }
}
