import Foundation
import Testing
import VouchTestSupport
@testable import VouchCollectors

/// Blobs read from pack files must be git's bytes, whole or delta, at any offset; anything the reader
/// cannot vouch for is left to libgit2.
@Suite("Git pack reader")
struct GitPackTests {
    /// A repository whose history packs into deltas: 30 versions of a 20 kB file, a binary, small files.
    func repository() throws -> URL {
        let dir = try TestSupport.makeTempDir("vouch-pack")
        try GitFixture.bash("""
            git init -q -b main r && cd r
            seq 1 4000 > big.txt; head -c 200000 /dev/urandom > blob.bin; : > empty
            for i in $(seq 1 30); do
              sed -i "s/^$((i * 97))\\$/edited $i/" big.txt; echo "v$i" > "small$((i % 3)).txt"
              git add -A; GIT_AUTHOR_DATE="2026-11-01T10:00:${i}Z" GIT_COMMITTER_DATE="2026-11-01T10:00:${i}Z" git commit -q -m "v$i"
            done
            """, in: dir)
        return dir.appendingPathComponent("r")
    }

    struct Object {
        var id: String
        var type: String
        var content: [UInt8]
        var delta: Bool
    }

    /// Every object with git's own content (`git cat-file --batch`), and whether it is stored as a delta.
    func objects(_ repo: URL) throws -> [Object] {
        let list = try GitFixture.bash(
            "git cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype) %(deltabase)'", in: repo)
        let rows = list.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        // The same objects in the same order, with their bytes ("<id> <type> <size>\n<content>\n" each).
        try GitFixture.bash("git cat-file --batch-all-objects --batch > ../batch.out", in: repo)
        var data = [UInt8](try Data(contentsOf: repo.deletingLastPathComponent().appendingPathComponent("batch.out")))
        var out: [Object] = []
        for r in rows {
            let nl = data.firstIndex(of: 0x0A)!
            let size = Int(String(decoding: data[..<nl], as: UTF8.self).split(separator: " ")[2])!
            out.append(Object(id: r[0], type: r[1], content: Array(data[(nl + 1)..<(nl + 1 + size)]),
                              delta: r[2] != String(repeating: "0", count: 40)))
            data.removeFirst(nl + 2 + size)
        }
        return out
    }

    /// Reads every object through a fresh reader; returns how many blobs were deltas.
    func check(_ repo: URL) throws -> Int {
        let reader = GitPackReader(objectsDirectory: repo.appendingPathComponent(".git/objects").path)
        let all = try objects(repo)
        #expect(all.count > 90)
        var deltaBlobs = 0
        var trees = 0
        for o in all {
            var oid = try #require(oidFrom(o.id))
            switch reader.content(of: &oid, limit: 1 << 20) {
            case .content(let bytes):
                #expect(o.type == "blob", "\(o.id) is a \(o.type)")
                #expect(bytes == o.content, "\(o.id)")
                if o.delta { deltaBlobs += 1 }
            case .tooLarge: Issue.record("\(o.id) reported too large")
            case .unavailable: #expect(o.type != "blob", "\(o.id): a packed blob was not read")
            }
            // Trees are read as trees only.
            switch reader.content(of: &oid, limit: 1 << 20, type: GitPackReader.tree) {
            case .content(let bytes):
                #expect(o.type == "tree", "\(o.id) is a \(o.type)")
                #expect(bytes == o.content, "\(o.id)")
                trees += 1
            case .tooLarge: Issue.record("\(o.id) reported too large")
            case .unavailable: #expect(o.type != "tree", "\(o.id): a packed tree was not read")
            }
        }
        #expect(trees >= 30)
        // Commits are read ahead (many per read of the pack): in id order (all over the pack), then in
        // history order (one after another in the pack) through a fresh reader.
        let commits = all.filter { $0.type == "commit" }
        #expect(commits.count == 30)
        let byID = Dictionary(uniqueKeysWithValues: commits.map { ($0.id, $0.content) })
        let history = try GitFixture.bash("git rev-list --all", in: repo).split(separator: "\n").map(String.init)
        for (pass, ids) in [commits.map(\.id), history].enumerated() {
            let reader = pass == 0 ? reader : GitPackReader(objectsDirectory: repo.appendingPathComponent(".git/objects").path)
            for id in ids {
                var oid = try #require(oidFrom(id))
                guard case .content(let bytes) = reader.content(of: &oid, limit: 1 << 20, type: GitPackReader.commit) else {
                    Issue.record("commit \(id) was not read from the pack")
                    continue
                }
                #expect(bytes == byID[id], "\(id)")
            }
        }
        // Read again (now from the reader's cache) and under a limit below their size.
        for o in all where o.type == "blob" && o.content.count > 100 {
            var oid = try #require(oidFrom(o.id))
            guard case .tooLarge(let size) = reader.content(of: &oid, limit: 100) else {
                Issue.record("\(o.id) of \(o.content.count) bytes not reported too large")
                continue
            }
            #expect(size == o.content.count)
        }
        return deltaBlobs
    }

    @Test func offsetDeltasReferenceDeltasAndLargeOffsets() throws {
        guard TestSupport.which("git") != nil else { return TestSupport.skip("git is missing") }
        let repo = try repository()
        // Offset deltas (git's default).
        try GitFixture.bash("git repack -q -adf --depth=20", in: repo)
        #expect(try check(repo) > 20)
        // Reference deltas.
        try GitFixture.bash("git -c repack.useDeltaBaseOffset=false repack -q -adf --depth=20", in: repo)
        #expect(try check(repo) > 20)
        // Offsets in the index's 64-bit table (git puts offsets past 2 GiB there; this index puts all past 64).
        try GitFixture.bash("""
            p=$(ls .git/objects/pack/*.pack); git index-pack --index-version=2,64 -o ../big.idx "$p"
            test "$(stat -c %s ../big.idx)" -gt "$(stat -c %s "${p%.pack}.idx")"; mv ../big.idx "${p%.pack}.idx"
            """, in: repo)
        #expect(try check(repo) > 20)
    }

    @Test func aRepositoryOfManyPacksOpensOnlyTheLargest() throws {
        guard TestSupport.which("git") != nil else { return TestSupport.skip("git is missing") }
        let dir = try TestSupport.makeTempDir("vouch-pack")
        // One pack per commit (automatic gc off, so never repacked into one); the first holds the most objects.
        try GitFixture.bash("""
            git init -q -b main r && cd r && git config gc.auto 0 && seq 1 3000 > big.txt
            for i in $(seq 1 \(GitPackIndex.maxPacks + 6)); do
              echo "v$i" > small.txt; git add -A; git commit -q -m "v$i"; git repack -q -d
            done
            test "$(ls .git/objects/pack/*.idx | wc -l)" -eq \(GitPackIndex.maxPacks + 6)
            """, in: dir)
        let repo = dir.appendingPathComponent("r")
        let index = GitPackIndex(objectsDirectory: repo.appendingPathComponent(".git/objects").path)
        #expect(index.packs.count == GitPackIndex.maxPacks)
        // The pack with the most objects (the first commit's, with big.txt) is among those opened; objects
        // in the packs left out are left to libgit2.
        let reader = GitPackReader(index: index)
        var big = try #require(oidFrom(try GitFixture.rev(repo, "main~\(GitPackIndex.maxPacks + 5):big.txt")))
        guard case .content(let bytes) = reader.content(of: &big, limit: 1 << 20) else {
            Issue.record("the largest pack was not opened")
            return
        }
        #expect(bytes.count == (1...3000).map { "\($0)\n" }.joined().utf8.count)
        var unread = 0
        for k in 0..<(GitPackIndex.maxPacks + 6) {
            var oid = try #require(oidFrom(try GitFixture.rev(repo, "main~\(k):small.txt")))
            if case .unavailable = reader.content(of: &oid, limit: 1 << 20) { unread += 1 }
        }
        #expect(unread >= 5)
    }

    @Test func objectsOutsideThePacksAndDamageAreLeftToLibgit2() throws {
        guard TestSupport.which("git") != nil else { return TestSupport.skip("git is missing") }
        let repo = try repository()
        let objectsDir = repo.appendingPathComponent(".git/objects").path
        let loose = try GitFixture.bash("echo not packed | git hash-object -w --stdin", in: repo)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var oid = try #require(oidFrom(loose))
        // Before packing every object is loose: nothing is read from packs.
        guard case .unavailable = GitPackReader(objectsDirectory: objectsDir).content(of: &oid, limit: 1 << 20) else {
            Issue.record("a loose object was read from a pack")
            return
        }
        try GitFixture.bash("git tag kept \(loose); git repack -q -ad", in: repo)
        let id = try GitFixture.bash("echo loose after packing | git hash-object -w --stdin", in: repo)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var after = try #require(oidFrom(id))
        let reader = GitPackReader(objectsDirectory: objectsDir)
        guard case .unavailable = reader.content(of: &after, limit: 1 << 20) else {
            Issue.record("an object written after the packs were mapped was read")
            return
        }
        guard case .content(let bytes) = reader.content(of: &oid, limit: 1 << 20) else {
            Issue.record("a packed blob was not read")
            return
        }
        #expect(bytes == Array("not packed\n".utf8))
        // Damaged pack data: every blob is either git's bytes or left to libgit2, never different bytes.
        let all = try objects(repo).filter { $0.type == "blob" }
        try GitFixture.bash("""
            p=$(ls .git/objects/pack/*.pack); chmod u+w "$p"; size=$(stat -c %s "$p")
            delta=$(git verify-pack -v "${p%.pack}.idx" | awk 'NF == 7 && $2 == "blob" && !found { print $5; found = 1 }')
            for at in $((size / 5)) $((size / 3)) $((size / 2)) $((size * 2 / 3)) $((size * 4 / 5)); do
              printf '\\x5a\\xa5\\x5a' | dd of="$p" bs=1 seek=$at conv=notrunc status=none
            done
            # A delta whose header claims 4 GiB.
            test -n "$delta"; printf '\\xef\\xff\\xff\\xff\\x7f' | dd of="$p" bs=1 seek=$delta conv=notrunc status=none
            """, in: repo)
        let damaged = GitPackReader(objectsDirectory: objectsDir)
        var unreadable = 0
        for o in all {
            var oid = try #require(oidFrom(o.id))
            switch damaged.content(of: &oid, limit: 1 << 20) {
            case .content(let bytes): #expect(bytes == o.content, "\(o.id) read with different bytes")
            case .tooLarge(let size): #expect(size == o.content.count, "\(o.id)")
            case .unavailable: unreadable += 1
            }
        }
        #expect(unreadable > 0)
        // A damaged index is not used at all.
        try GitFixture.bash("for f in .git/objects/pack/*.idx; do chmod u+w \"$f\"; printf 'JUNK' | dd of=\"$f\" conv=notrunc status=none; done", in: repo)
        guard case .unavailable = GitPackReader(objectsDirectory: objectsDir).content(of: &oid, limit: 1 << 20) else {
            Issue.record("a damaged index was used")
            return
        }
    }
}
