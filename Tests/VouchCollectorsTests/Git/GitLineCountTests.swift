import Foundation
import Testing
@testable import VouchCollectors
import VouchCore

/// The direct line count must give libgit2's numbers whenever it gives any: each generated pair of
/// files is counted both ways, with libgit2's diff of the same bytes as the reference.
@Suite("Git line count")
struct GitLineCountTests {
    /// A fixed-seed generator (SplitMix64), so a failure names a case that can be run again.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func counts(_ old: [UInt8], _ new: [UInt8]) -> (quick: GitLineCount.Result, libgit2: GitLineCount.Result) {
        #expect(Git2Library.initialised)
        var opts = GitCommitReader.diffOptions(maxBytes: 1 << 20)
        return old.withUnsafeBytes { o in
            new.withUnsafeBytes { n in
                let reference = GitCommitReader.diffBytes(old: o, new: n, opts: &opts)
                #expect(reference.rc == 0)
                return (GitLineCount.count(old: o, new: n), reference.result)
            }
        }
    }

    @Test func namedCasesMatchLibgit2() {
        let b = { (s: String) in [UInt8](s.utf8) }
        let padded = { (nulAt: Int) -> [UInt8] in
            var x = [UInt8](repeating: 0x61, count: 9000)
            for i in stride(from: 79, to: 9000, by: 80) { x[i] = 0x0A }
            x[nulAt] = 0
            return x
        }
        let cases: [(String, [UInt8], [UInt8], GitLineCount.Result)] = [
            ("same", b("a\nb\n"), b("a\nb\n"), .counted(additions: 0, deletions: 0)),
            ("both empty", [], [], .counted(additions: 0, deletions: 0)),
            ("added file", [], b("a\nb\nc"), .counted(additions: 3, deletions: 0)),
            ("deleted file", b("a\nb\n"), [], .counted(additions: 0, deletions: 2)),
            ("one line replaced", b("a\nb\nc\n"), b("a\nB\nc\n"), .counted(additions: 1, deletions: 1)),
            ("newline at the end added", b("a\nb"), b("a\nb\n"), .counted(additions: 1, deletions: 1)),
            ("appended", b("a\nb\n"), b("a\nb\nc\nd\n"), .counted(additions: 2, deletions: 0)),
            ("prepended", b("a\nb\n"), b("z\na\nb\n"), .counted(additions: 1, deletions: 0)),
            ("repeated line inserted", b("x\nx\n"), b("x\nx\nx\n"), .counted(additions: 1, deletions: 0)),
            ("a line that grows", b("ab\n"), b("abc\n"), .counted(additions: 1, deletions: 1)),
            ("a line that ends like the next", b("c\n"), b("xc\n"), .counted(additions: 1, deletions: 1)),
            ("CRLF to LF", b("a\r\nb\r\n"), b("a\nb\r\n"), .counted(additions: 1, deletions: 1)),
            ("a NUL in the first 8000 bytes", b("a\n"), padded(7999), .binary),
            ("a NUL in the old side", padded(0), b("a\n"), .binary),
            ("moved line", b("a\nb\nc\n"), b("b\na\nc\n"), .undecided),
        ]
        for (name, old, new, expected) in cases {
            let (quick, reference) = counts(old, new)
            #expect(quick == expected, "\(name)")
            if quick != .undecided { #expect(quick == reference, "\(name): libgit2 says \(reference)") }
        }
        // Past the first 8000 bytes a NUL does not make content binary, for libgit2 either.
        let (quick, reference) = counts(padded(8000).map { $0 == 0 ? 0x62 : $0 }, padded(8000))
        #expect(reference != .binary)
        #expect(quick == reference)
    }

    @Test func generatedEditsMatchLibgit2() {
        var rng = Seeded(state: 2026)
        // Mostly distinct lines, some repeated ones (blank, a brace), and a last line without a newline.
        func line(_ rng: inout Seeded) -> [UInt8] {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: return [0x0A]
            case 1: return Array("}\n".utf8)
            case 2: return Array("key: value\r\n".utf8)
            default: return Array("line \(Int.random(in: 0..<40, using: &rng))\n".utf8)
            }
        }
        var decided = 0, total = 0
        for round in 0..<3000 {
            var old: [[UInt8]] = (0..<Int.random(in: 0..<30, using: &rng)).map { _ in line(&rng) }
            var new = old
            let at = Int.random(in: 0...new.count, using: &rng)
            let run = Int.random(in: 1...3, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: new.insert(contentsOf: (0..<run).map { _ in line(&rng) }, at: at)
            case 1: new.removeSubrange(at..<min(new.count, at + run))
            case 2: new.replaceSubrange(at..<min(new.count, at + run), with: (0..<run).map { _ in line(&rng) })
            case 3: new = (0..<Int.random(in: 0..<30, using: &rng)).map { _ in line(&rng) }
            case 4: if !new.isEmpty { new[new.count - 1] = Array(new[new.count - 1].dropLast()) }
            default: if !old.isEmpty { old[old.count - 1] = Array(old[old.count - 1].dropLast()) }
            }
            let (quick, reference) = counts(old.flatMap { $0 }, new.flatMap { $0 })
            total += 1
            if quick != .undecided {
                decided += 1
                #expect(quick == reference, "round \(round): \(old) -> \(new)")
            }
        }
        // Most edits are decided without libgit2 (otherwise the fast path is not taken at all).
        #expect(decided * 2 > total, "\(decided) of \(total) decided")
    }
}

/// `GitTime.iso` writes the store's timestamp text in place; it must spell every time as `Timestamp` does.
@Suite struct GitTimeTests {
    @Test func spellsTimesAsTheStoreDoes() {
        var epochs: [Int64] = [0, -1, 1, 59, 951_782_400, 1_700_000_000, 253_402_300_799, 253_402_300_800, -62_167_219_200, -62_167_219_201,
                               4_102_444_800, Int64(Int32.max), Int64(Int32.max) + 1]
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            epochs.append(Int64(x >> 30) - (1 << 33))
        }
        for e in epochs { #expect(GitTime.iso(e) == Timestamp.string(epochSeconds: e), "\(e)") }
    }
}
