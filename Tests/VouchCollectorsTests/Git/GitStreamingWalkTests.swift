import Foundation
import Testing
@testable import VouchCollectors
import VouchCore
import VouchTestSupport

/// The three-stage walk (walk and read, make facts, write) hands every commit over once, in walk
/// order, and stops all its threads when the writer fails, also with every queue full.
@Suite struct GitStreamingWalkTests {
    struct WriterFailed: Error {}

    /// A linear history.
    func repository(commits: Int) throws -> URL {
        let dir = try TestSupport.makeTempDir("vouch-stream")
        try GitFixture.bash("""
            git init -q --bare r.git
            python3 - \(commits) <<'PY' | git -C r.git fast-import --quiet
            import sys
            out = sys.stdout.buffer
            for c in range(1, int(sys.argv[1]) + 1):
                msg = f"change {c}\\n\\nSigned-off-by: a <a@example.com>\\n".encode()
                out.write(f"commit refs/heads/main\\nmark :{c}\\nauthor a <a@example.com> {1700000000 + c} +0000\\n"
                          f"committer a <a@example.com> {1700000000 + c} +0000\\ndata {len(msg)}\\n".encode() + msg)
                if c > 1: out.write(f"from :{c - 1}\\n".encode())
                out.write(f"M 100644 inline f.txt\\ndata {len(str(c)) + 1}\\n{c}\\n\\n".encode())
            PY
            git -C r.git gc -q
            """, in: dir)
        return dir.appendingPathComponent("r.git")
    }

    @Test func everyCommitOnceInOrderAndAFailingWriterStopsTheThreads() throws {
        guard TestSupport.which("git") != nil, TestSupport.which("python3") != nil else {
            return TestSupport.skip("git or python3 is missing")
        }
        let n = 3 * 8 * GitStreamingWalk.chunkSize + 300
        let repo = try repository(commits: n)
        let head = try GitFixture.bash("git rev-parse main", in: repo).trimmingCharacters(in: .whitespacesAndNewlines)
        func reader() throws -> GitCommitReader {
            try GitCommitReader(path: repo.path, mode: .none, maxDiffBytes: 1 << 20, shallow: [], redactor: Redactor())
        }
        var ids: [String] = []
        let missing = try GitStreamingWalk.run(tips: [head], mainHead: head, shallow: [], reader: try reader()) { c in
            #expect(c.onMain)
            ids.append(c.facts.id)
        }
        #expect(missing.isEmpty)
        let expected = try GitFixture.bash("git rev-list main", in: repo).split(separator: "\n").map(String.init)
        #expect(ids == expected)
        // The writer fails early: more commits are left than both queues (8 chunks each) and both
        // stages hold, so the walk waits on a full queue; it must end, not hang.
        var taken = 0
        #expect(throws: WriterFailed.self) {
            _ = try GitStreamingWalk.run(tips: [head], mainHead: head, shallow: [], reader: try reader()) { _ in
                taken += 1
                if taken == 10 {
                    // Let both stages fill their queues first.
                    Thread.sleep(forTimeInterval: 0.5)
                    throw WriterFailed()
                }
            }
        }
        #expect(taken == 10)
    }
}
