import Foundation
import Testing
import VouchTestSupport
@testable import VouchCollectors

/// Sizes read from pack entries must be git's sizes for every object, whole or delta, at any offset.
@Suite("Git pack sizes")
struct GitPackSizesTests {
    /// A repository whose history packs into deltas: 30 versions of a 20 kB file, a binary, small files.
    func repository() throws -> URL {
        let dir = try TestSupport.makeTempDir("vouch-packsizes")
        try GitFixture.bash("""
            git init -q -b main r && cd r
            seq 1 4000 > big.txt; head -c 200000 /dev/urandom > blob.bin
            for i in $(seq 1 30); do
              sed -i "s/^$((i * 97))\\$/edited $i/" big.txt; echo "v$i" > "small$((i % 3)).txt"
              git add -A; GIT_AUTHOR_DATE="2026-11-01T10:00:${i}Z" GIT_COMMITTER_DATE="2026-11-01T10:00:${i}Z" git commit -q -m "v$i"
            done
            """, in: dir)
        return dir.appendingPathComponent("r")
    }

    /// Every object with git's own size (`%(objectsize)`), and how many are stored as deltas.
    func objects(_ repo: URL) throws -> (sizes: [(String, Int)], deltas: Int) {
        let out = try GitFixture.bash(
            "git cat-file --batch-all-objects --batch-check='%(objectname) %(objectsize) %(deltabase)'", in: repo)
        var sizes: [(String, Int)] = []
        var deltas = 0
        for line in out.split(separator: "\n") {
            let f = line.split(separator: " ")
            sizes.append((String(f[0]), Int(f[1])!))
            if f[2] != String(repeating: "0", count: 40) { deltas += 1 }
        }
        return (sizes, deltas)
    }

    func check(_ repo: URL) throws -> Int {
        let packs = GitPackSizes(objectsDirectory: repo.appendingPathComponent(".git/objects").path)
        let (sizes, deltas) = try objects(repo)
        #expect(sizes.count > 90)
        for (id, size) in sizes {
            var oid = try #require(oidFrom(id))
            #expect(packs.size(of: &oid) == size, "\(id)")
        }
        return deltas
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

    @Test func objectsOutsideThePacksAreLeftToLibgit2() throws {
        guard TestSupport.which("git") != nil else { return TestSupport.skip("git is missing") }
        let repo = try repository()
        let loose = try GitFixture.bash("echo not packed | git hash-object -w --stdin", in: repo)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var oid = try #require(oidFrom(loose))
        // Before packing every object is loose: nothing is answered from packs.
        #expect(GitPackSizes(objectsDirectory: repo.appendingPathComponent(".git/objects").path).size(of: &oid) == nil)
        try GitFixture.bash("git tag kept \(loose); git repack -q -ad", in: repo)
        let id = try GitFixture.bash("echo loose after packing | git hash-object -w --stdin", in: repo)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var after = try #require(oidFrom(id))
        let packs = GitPackSizes(objectsDirectory: repo.appendingPathComponent(".git/objects").path)
        #expect(packs.size(of: &after) == nil)
        #expect(packs.size(of: &oid) == 11)  // "not packed\n"
        // A damaged index is not used.
        try GitFixture.bash("for f in .git/objects/pack/*.idx; do chmod u+w \"$f\"; printf 'JUNK' | dd of=\"$f\" conv=notrunc status=none; done", in: repo)
        #expect(GitPackSizes(objectsDirectory: repo.appendingPathComponent(".git/objects").path).size(of: &oid) == nil)
    }
}
