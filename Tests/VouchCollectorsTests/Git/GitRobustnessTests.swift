import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

@Suite("GitCollector robustness")
struct GitRobustnessTests {
    /// Builds a small repository with loose objects: five commits on five days.
    func fiveCommits(_ extra: String = "") throws -> URL {
        let dir = try TestSupport.makeTempDir("vouch-git")
        try GitFixture.bash("""
            git init -q -b main r && cd r
            for i in 1 2 3 4 5; do
              echo "line $i" > "file$i.txt"; git add -A
              GIT_AUTHOR_DATE="2026-11-0${i}T10:00:00Z" GIT_COMMITTER_DATE="2026-11-0${i}T10:00:00Z" git commit -q -m "Commit $i"
            done
            \(extra)
            """, in: dir)
        return dir.appendingPathComponent("r")
    }

    @Test func nonUTF8NamesAndMessagesAndLargeFilesAreKeptSafely() throws {
        guard TestSupport.which("git") != nil else { return TestSupport.skip("git is missing") }
        let repo = try fiveCommits("""
            f=$(printf 'caf\\xe9.txt'); echo x > "$f"
            seq 1 2000 > big.txt
            printf '\\x00\\x01\\x02\\xff' > blob.bin
            git add -A
            printf 'Non-UTF-8 \\xff message\\n\\nbody\\n' > ../msg
            GIT_AUTHOR_DATE="2026-11-06T10:00:00Z" GIT_COMMITTER_DATE="2026-11-06T10:00:00Z" git -c i18n.commitEncoding=ISO-8859-1 commit -q -F ../msg
            """)
        let store = try EvidenceStore(path: repo.deletingLastPathComponent().appendingPathComponent("v.db").path)
        let c = try GitFixture.collect(store, repo, options: ["max_diff_bytes": 1000]).captureID
        let head = try GitFixture.rev(repo, "HEAD")
        let commit = try #require(try GitFixture.rows(store, "SELECT summary, message, message_sha256, encoding FROM git_commit WHERE capture_id = ? AND id = ?", [c, head]).first)
        #expect((commit[0] as String) == "Non-UTF-8 \\xFF message")
        #expect((commit[1] as String) == "Non-UTF-8 \\xFF message\\x0A\\x0Abody\\x0A")
        #expect((commit[2] as String) == Hashing.sha256Hex([UInt8]("Non-UTF-8 ".utf8) + [0xFF] + [UInt8](" message\n\nbody\n".utf8)))
        #expect((commit[3] as String?) == "ISO-8859-1")
        let changes = try GitFixture.rows(store, "SELECT path, additions, deletions, binary, too_large FROM git_change WHERE capture_id = ? AND commit_id = ? ORDER BY path", [c, head])
        #expect(changes.map { r in "\(r[0] as String)|\((r[1] as Int64?).map(String.init) ?? "-")|\((r[2] as Int64?).map(String.init) ?? "-")|\(r[3] as Int64)|\(r[4] as Int64)" } == [
            "big.txt|-|-|1|1", "blob.bin|-|-|1|0", "caf\\xE9.txt|1|0|0|0",
        ])
    }

    @Test func shallowCloneRecordsItsBoundary() throws {
        guard TestSupport.which("git") != nil else { return TestSupport.skip("git is missing") }
        let repo = try fiveCommits("cd .. && git clone -q --depth 2 file://$PWD/r shallow")
        let shallow = repo.deletingLastPathComponent().appendingPathComponent("shallow")
        let store = try EvidenceStore(path: repo.deletingLastPathComponent().appendingPathComponent("v.db").path)
        let outcome = try GitFixture.collect(store, shallow)
        #expect(outcome.errorCount == 0)
        let boundary = try GitFixture.rev(repo, "HEAD~1")
        let link = try #require(try GitFixture.rows(store, "SELECT shallow, shallow_boundary, commit_count, complete FROM git_capture_repo").first)
        #expect((link[0] as Int64) == 1 && (link[1] as String) == "[\"\(boundary)\"]" && (link[2] as Int64) == 2 && (link[3] as Int64) == 1)
        let rows = try GitFixture.rows(store, "SELECT summary, shallow, parent_count FROM git_commit WHERE capture_id = ? ORDER BY author_epoch", [outcome.captureID])
        #expect(rows.map { "\($0[0] as String)|\($0[1] as Int64)|\($0[2] as Int64)" } == ["Commit 4|1|1", "Commit 5|0|1"])
        // The boundary commit's changes are against the empty tree: its whole tree appears as added.
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_change WHERE commit_id = ? AND status = 'added'", [boundary]) == 4)
    }

    @Test func missingObjectsBecomeErrorItemsAndTheRestLands() throws {
        guard TestSupport.which("git") != nil else { return TestSupport.skip("git is missing") }
        let repo = try fiveCommits()
        let c2 = try GitFixture.rev(repo, "HEAD~3"), c4 = try GitFixture.rev(repo, "HEAD~1")
        let blob = try GitFixture.rev(repo, "HEAD~1:file4.txt")
        try GitFixture.bash("rm .git/objects/\(c2.prefix(2))/\(c2.dropFirst(2)) .git/objects/\(blob.prefix(2))/\(blob.dropFirst(2))", in: repo)
        let store = try EvidenceStore(path: repo.deletingLastPathComponent().appendingPathComponent("v.db").path)
        let outcome = try GitFixture.collect(store, repo)
        #expect(outcome.sources.first?.status == "partial")
        let summaries = try GitFixture.rows(store, "SELECT summary, change_count FROM git_commit WHERE capture_id = ? ORDER BY author_epoch", [outcome.captureID])
        #expect(summaries.map { "\($0[0] as String)|\(($0[1] as Int64?).map(String.init) ?? "-")" } == ["Commit 3|-", "Commit 4|-", "Commit 5|1"])
        let errors = try GitFixture.rows(store, "SELECT subject, json_extract(data, '$.error') FROM evidence WHERE capture_id = ? AND status = 'error' ORDER BY subject", [outcome.captureID])
        #expect(errors.count == 3)
        #expect(errors.contains { ($0[0] as String) == "r@\(c2)" && ($0[1] as String).contains("commit \(c2) (a parent of") })
        #expect(errors.contains { ($0[0] as String) == "r@\(c4)" && ($0[1] as String).contains(blob) })
        #expect(try GitFixture.int(store, "SELECT complete FROM git_capture_repo") == 0)
    }

    @Test func aMalformedTreeBecomesAnErrorItemAndTheRestLands() throws {
        guard TestSupport.which("git") != nil else { return TestSupport.skip("git is missing") }
        // A commit whose tree object holds junk (written with --literally, which skips git's checks).
        let repo = try fiveCommits("""
            bad=$(printf '100644 no-terminator' | git hash-object -t tree --literally -w --stdin)
            c=$(GIT_AUTHOR_DATE="2026-11-06T10:00:00Z" GIT_COMMITTER_DATE="2026-11-06T10:00:00Z" git commit-tree "$bad" -p HEAD -m "Broken tree")
            git update-ref refs/heads/main "$c"
            """)
        let head = try GitFixture.rev(repo, "HEAD")
        let store = try EvidenceStore(path: repo.deletingLastPathComponent().appendingPathComponent("v.db").path)
        let outcome = try GitFixture.collect(store, repo)
        #expect(outcome.sources.first?.status == "partial")
        let rows = try GitFixture.rows(store, "SELECT summary, change_count FROM git_commit WHERE capture_id = ? ORDER BY author_epoch", [outcome.captureID])
        #expect(rows.map { "\($0[0] as String)|\(($0[1] as Int64?).map(String.init) ?? "-")" }
                == ["Commit 1|1", "Commit 2|1", "Commit 3|1", "Commit 4|1", "Commit 5|1", "Broken tree|-"])
        let errors = try GitFixture.rows(store, "SELECT subject, json_extract(data, '$.error') FROM evidence WHERE capture_id = ? AND status = 'error'", [outcome.captureID])
        #expect(errors.count == 1)
        #expect(errors.first.map { ($0[0] as String) == "r@\(head)" && ($0[1] as String).contains("malformed") } == true)
    }

    /// Vouch's own tree walk (which skips identical subtrees) must give exactly the rows libgit2's
    /// `git_diff_tree_to_tree` gives, commit by commit, in every change mode: over the demo repository
    /// plus mode changes, symlinks, type changes, a submodule, deleted folders, awkward names and sizes.
    @Test(arguments: ["lines", "paths"])
    func treeWalkMatchesLibgit2Diff(changes: String) throws {
        guard GitFixture.toolsPresent else { return TestSupport.skip("git, ssh-keygen or gpg is missing") }
        let infra = try GitFixture.infra()
        let repo = infra.appendingPathComponent("infra")
        try GitFixture.bash("""
            c() { GIT_AUTHOR_DATE="2026-11-2${1}T10:00:00Z" GIT_COMMITTER_DATE="2026-11-2${1}T10:00:00Z" git commit -q -m "$2"; }
            mkdir -p a/b/c a-b; echo one > a/b/c/deep.txt; echo two > a-b/x; echo three > a.b; printf 'no newline' > a/nonl
            printf 'crlf\\r\\nline\\r\\n' > a/crlf.txt; : > a/empty; git add -A; c 1 "names that sort around slashes"
            chmod +x a/b/c/deep.txt; git add -A; c 2 "mode change only"
            ln -s a/b/c/deep.txt link; echo more >> a/nonl; git add -A; c 3 "symlink and an edit"
            rm link; echo "now a file" > link; git add -A; c 4 "symlink becomes a file"
            git rm -q -r a/b; git add -A; c 5 "delete a folder"
            rm a.b; mkdir a.b; echo inside > a.b/f; git add -A; c 6 "file becomes a folder"
            git update-index --add --cacheinfo 160000,$(git rev-parse HEAD),sub; c 7 "a submodule"
            seq 1 50000 > big.txt; printf '\\x00\\x01bin' > data.bin; git add -A; c 8 "large and binary"
            seq 1 2 50000 > big.txt; printf '\\x00\\x02bin' > data.bin; git add -A; c 9 "large and binary again"
            git mv a-b/x a-b/y; echo edit >> a/crlf.txt; git add -A; c 9 "rename with an edit elsewhere"
            printf '*.dat -diff\\n*.raw diff\\n' > .gitattributes; echo text > forced.dat; printf 'x\\0y\\n' > shown.raw
            git add -A; c 9 "diff attributes"
            echo more >> forced.dat; printf 'x\\0z\\n' > shown.raw; git add -A; c 9 "diff attributes apply"
            """, in: repo)
        func rows(_ engine: String, _ tag: String = "") throws -> [String] {
            let store = try EvidenceStore(path: infra.appendingPathComponent("\(engine)-\(changes)\(tag).db").path)
            try GitFixture.collect(store, repo, options: ["changes": .string(changes), "tree_diff": .string(engine), "max_diff_bytes": 100_000])
            return try GitFixture.rows(store, """
                SELECT commit_id, path, status, old_path, additions, deletions, binary, too_large, old_mode, new_mode,
                       old_blob, new_blob, similarity FROM git_change ORDER BY rowid
                """).map { r in (0..<13).map { "\(r[$0] as DatabaseValue)" }.joined(separator: "|") }
        }
        let ours = try rows("vouch"), theirs = try rows("libgit2")
        #expect(ours.count > 30)
        #expect(ours == theirs)
        for status in ["added", "deleted", "modified", "renamed"] { #expect(ours.contains { $0.contains("|\"\(status)\"|") }) }
        if changes == "lines" {
            #expect(ours.contains { $0.contains("|\"big.txt\"|\"modified\"|NULL|NULL|NULL|1|1|") })
            #expect(ours.contains { $0.contains("|\"data.bin\"|\"modified\"|NULL|NULL|NULL|1|0|") })
            // A `-diff` attribute makes text binary; `diff` makes binary content text (with line stats).
            #expect(ours.contains { $0.contains("|\"forced.dat\"|\"modified\"|NULL|NULL|NULL|1|0|") })
            #expect(ours.contains { $0.contains("|\"shown.raw\"|\"modified\"|NULL|1|1|0|0|") })
        }
        // Packed, trees and blobs are read from the pack files (loose, through libgit2): the same rows.
        try GitFixture.bash("git repack -q -adf; test -z \"$(find .git/objects -type f -path '*/objects/??/*')\"", in: repo)
        #expect(try rows("vouch", "-packed") == theirs)
    }

    @Test func notARepositoryFailsTheSourceWithAClearMessage() throws {
        let dir = try TestSupport.makeTempDir("vouch-git")
        let store = try EvidenceStore(path: dir.appendingPathComponent("v.db").path)
        let outcome = try GitFixture.collect(store, dir.appendingPathComponent("nothing-here"))
        #expect(outcome.sources.first?.status == "error")
        #expect(outcome.sources.first?.message?.contains("is not a readable git repository") == true)
    }
}
