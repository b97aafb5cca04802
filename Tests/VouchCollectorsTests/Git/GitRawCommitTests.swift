import CLibGit2
import Foundation
import Testing
@testable import VouchCollectors
import VouchCore
import VouchTestSupport

/// `GitRawCommit` must read every commit as libgit2 does, or refuse it where libgit2 does: both
/// read generated commit objects (well-formed and not), written with `git hash-object --literally`.
@Suite struct GitRawCommitTests {
    static let tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    static let p1 = "1111111111111111111111111111111111111111", p2 = "2222222222222222222222222222222222222222"

    static let trees = ["tree \(tree)\n", "tree \(tree.uppercased())\n", "tree \(tree)", "tree 4b825dc6\n", "tree \(tree)x\n"]
    static let parentSets = ["", "parent \(p1)\n", "parent \(p1)\nparent \(p2)\n", "parent nothex\n", "parent \(p1.uppercased())\n"]
    static let people = [
        "A U Thor <a@x.org> 1700000000 +0100", "  Spaced   Name  <  mail@x  >  1700000000 -0530", "N <e>", "N <e> abc +0000",
        "N <e> 123 0100", "N <e> 123 +9999", "N <e> 123 +1459", "N <e> 123 -abc", "N <e> 123", "<e> 1 +0000", "N e> 1 +0000",
        "N <e 1 +0000", "N >e< 1 +0000", "N <x> <e> 1 +0000", "Nul\u{0}Name <e\u{0}x> 5 +0000", "Tab\tName <e>\t7\t+0200",
        "N <e> 99999999999999999999 +0000", "N <e> -5 -0000", "N <e> 1 +", "N <e> 1 +-100", "N <e> 9223372036854775807 +0000",
        "N <e> 1 +00000000000000000000001", "Caf\u{E9} <caf\u{E9}@x> 1 +0000", "N <e>  12  +0300", "N <e> +12 +0000",
        "Name Jr. <e.> 1 +0000", "'Quoted, Name'; <\"e\":> 1 +0000", "\u{1}Ctl\u{7F} <e> 1 +0000",
    ]
    static let extras = ["", "encoding ISO-8859-1\n", "gpgsig -----BEGIN SSH SIGNATURE-----\n abc\n -----END SSH SIGNATURE-----\n",
                         "mergetag object x\n type commit\n", "encodingX\n", "unknown header\nencoding UTF-8\n", "encoding \n"]
    static let messages = [
        nil, "", "Subject\n", "\n\nLeading newlines\n", "Subject\nsame paragraph\n\nBody\n", "Subject\n   \nBody after a blank-ish line\n",
        "  Indented  subject  with   runs\n", "a\tb\r\nc\n", "Nul\u{0}in message\n", "Fix it\n\nSigned-off-by: A <a@x>\nReviewed-by: B <b@x>\n",
        "Subject  \n  \t\ncontinued\n", "One line no newline", "Trailing spaces   \n\n", "Line\n\t\tindented second\n\nBody\n",
    ]

    static func commits() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for i in 0..<420 {
            var s = trees[i % 11 == 0 ? (i / 11) % trees.count : 0] + parentSets[i % parentSets.count]
            s += "author \(people[i % people.count])\n"
            if i % 13 == 0 { s += "author \(people[(i / 13) % people.count])\n" }
            s += i % 17 == 0 ? "committer \(people[(i * 7) % people.count])" : "committer \(people[(i * 7) % people.count])\n"
            s += extras[i % extras.count]
            if let m = messages[i % messages.count] { s += "\n" + m }
            var bytes = Array(s.utf8)
            // Bytes that are not UTF-8, in a name and in the message.
            if i % 9 == 0, let k = bytes.firstIndex(of: UInt8(ascii: "N")) { bytes[k] = 0xFF }
            if i % 10 == 3 { bytes.append(contentsOf: [0xE9, 0x0A]) }
            out.append(bytes)
        }
        return out
    }

    @Test func readsEveryCommitAsLibgit2Does() throws {
        guard TestSupport.which("git") != nil else { return TestSupport.skip("git is missing") }
        let dir = try TestSupport.makeTempDir("vouch-rawcommit")
        try GitFixture.bash("git init -q r", in: dir)
        let repo = dir.appendingPathComponent("r")
        var files: [String] = []
        for (i, c) in Self.commits().enumerated() {
            let f = dir.appendingPathComponent("c\(i)").path
            try Data(c).write(to: URL(fileURLWithPath: f))
            files.append(f)
        }
        let ids = try GitFixture.bash("git hash-object -t commit --literally -w \(files.joined(separator: " "))", in: repo)
            .split(separator: "\n").map(String.init)
        #expect(ids.count == files.count)
        let reader = try GitCommitReader(path: repo.path, mode: .none, maxDiffBytes: 1 << 20, shallow: [], redactor: Redactor())
        var parsed = 0, refused = 0
        for id in ids {
            var oid = try #require(oidFrom(id))
            var c: OpaquePointer?
            let rc = git_commit_lookup(&c, reader.repo.pointer, &oid)
            let raw = try? reader.rawParts(&oid, what: id)
            if rc == 0, let c {
                let lib = GitCommitReader.parts(of: c)
                if raw != lib {
                    let dump = (try? GitFixture.bash("git cat-file commit \(id) | od -c | head -12", in: repo)) ?? ""
                    Issue.record("\(id) differs: raw \(String(describing: raw)) libgit2 \(lib)\n\(dump)")
                }
                git_commit_free(c)
                parsed += 1
            } else {
                #expect(raw == nil, "\(id) is refused by libgit2 but parsed")
                refused += 1
            }
        }
        // Both kinds are exercised.
        #expect(parsed > 150 && refused > 50)
    }

    /// Trailers are written as JSON directly; it must be what the canonical encoder writes.
    @Test func trailersJSONIsTheCanonicalEncoding() {
        let keys = ["Signed-off-by", "Reviewed-by", "Change-Id", "Co-authored-by", "x\"y", "Ünïcode", "a<b>&c"]
        let values = ["alice <alice@example.com>", "I1234", "", "tab\there", "line\u{2028}sep", "quote \" and \\", "😀"]
        var generator = SystemRandomNumberGenerator()
        for n in 0..<200 {
            var trailers: [String: [String]] = [:]
            for _ in 0..<(n % 5) {
                let key = keys.randomElement(using: &generator)!
                trailers[key, default: []] += (0..<Int.random(in: 1...3, using: &generator)).map { _ in values.randomElement(using: &generator)! }
            }
            let expected = JSONValue.object(trailers.mapValues { .array($0.map { .string($0) }) }).canonicalText
            #expect(GitMessage.trailersJSON(trailers) == expected)
        }
    }

    /// Emails are compared without lowercased copies when they are ASCII; the answer must be what
    /// `lowercased()` gives, including characters outside ASCII that lowercase into it (the Kelvin
    /// sign into `k`).
    @Test func emailsCompareAsLowercasedCopiesWould() {
        let pieces = ["a", "A", "k", "K", "\u{212A}", "@", "x.org", "X.ORG", "é", "É", "İ", "i", "\u{0307}", "ß", "SS", "."]
        var generator = SystemRandomNumberGenerator()
        var equal = 0
        for _ in 0..<4000 {
            let a = (0..<Int.random(in: 0...4, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            // Half the pairs from the same pieces with the case flipped, so many are equal.
            let b = Bool.random(using: &generator)
                ? a.map { $0.isUppercase ? $0.lowercased() : $0.uppercased() }.joined()
                : (0..<Int.random(in: 0...4, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let expected = a.lowercased() == b.lowercased()
            #expect(GitCommitReader.sameEmail(a, b) == expected, "\(a) vs \(b)")
            if expected { equal += 1 }
        }
        #expect(GitCommitReader.sameEmail("alice@Example.COM", "ALICE@example.com"))
        #expect(!GitCommitReader.sameEmail("alice@example.com", "alicf@example.com"))
        #expect(GitCommitReader.sameEmail("\u{212A}ate@x.org", "kate@x.org"))
        #expect(equal > 500)
    }
}
