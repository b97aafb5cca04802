import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

@Suite("GitCollector")
struct GitCollectorTests {
    /// The demo repository, collected with path filters and trust: every commit row by row.
    @Test func infraHistoryFacts() throws {
        guard GitFixture.toolsPresent else { return TestSupport.skip("git, ssh-keygen or gpg is missing") }
        let dir = try GitFixture.infra()
        let repo = dir.appendingPathComponent("infra")
        let store = try EvidenceStore(path: dir.appendingPathComponent("v.db").path)
        let outcome = try GitFixture.collect(store, repo, options: [
            "paths": ["talos/", "nixos/", "k8s/"], "allowed_signers": "allowed_signers", "gpg_keyring": "keyring.asc",
        ])
        #expect(outcome.errorCount == 0)
        let rows = try GitFixture.rows(store, """
            SELECT summary, author_name, author_email, author_time, committer_name, parent_count, is_merge, pr_number,
                   first_parent_main, direct_push, touches_infra, signature_type, signature_status, trailers, merger_differs,
                   length(id), length(tree), message_sha256 IS NOT NULL
            FROM git_commit WHERE capture_id = ? ORDER BY author_epoch
            """, [outcome.captureID])
        typealias R = (String, String, String, String, String, Int64, Int64, Int64?, Int64, Int64, Int64, String, String, String, Int64)
        let expected: [R] = [
            ("Initial platform layout", "Alice Admin", "alice@example.com", "2026-11-16T09:00:00.000Z", "Alice Admin", 0, 0, nil, 1, 1, 1, "none", "unverified", "{}", 0),
            ("Harden kubelet flags", "Bob Builder", "bob@example.com", "2026-11-16T14:00:00.000Z", "Bob Builder", 1, 0, nil, 0, 0, 1, "none", "unverified",
             #"{"Reviewed-by":["Carol Checker \u003ccarol@example.com\u003e"],"Signed-off-by":["Bob Builder \u003cbob@example.com\u003e"]}"#, 0),
            ("Merge pull request #12 from example/feature/kubelet", "Carol Checker", "carol@example.com", "2026-11-17T10:00:00.000Z", "Carol Checker", 2, 1, 12, 1, 0, 1, "none", "unverified", "{}", 1),
            ("Bump Talos installer to v1.8.3", "Alice Admin", "alice@example.com", "2026-11-17T15:30:00.000Z", "Alice Admin", 1, 0, nil, 1, 1, 1, "none", "unverified", "{}", 0),
            ("Rename edge host configuration (#13)", "Dave Deployer", "dave@example.com", "2026-11-18T10:40:00.000Z", "GitHub", 1, 0, 13, 1, 0, 1, "none", "unverified",
             #"{"Approved-by":["Alice Admin \u003calice@example.com\u003e"],"Co-authored-by":["Bob Builder \u003cbob@example.com\u003e"]}"#, 1),
            ("Encrypt the system disk", "Alice Admin", "alice@example.com", "2026-11-19T09:30:00.000Z", "Alice Admin", 1, 0, nil, 1, 1, 1, "ssh", "good", #"{"Change-Id":["I8f3a2c1d"]}"#, 0),
            ("Default-deny network policy for platform", "Erin Engineer", "erin@example.com", "2026-11-19T16:00:00.000Z", "Erin Engineer", 1, 0, nil, 1, 1, 1, "gpg", "good", "{}", 0),
            ("Add architecture diagram", "Bob Builder", "bob@example.com", "2026-11-20T10:00:00.000Z", "Bob Builder", 1, 0, nil, 0, 0, 0, "none", "unverified", "{}", 0),
            ("Merge branch 'docs' into 'main'", "Carol Checker", "carol@example.com", "2026-11-20T12:00:00.000Z", "Carol Checker", 2, 1, 7, 1, 0, 0, "none", "unverified", "{}", 1),
            ("Enforce restricted pod security", "Dave Deployer", "dave@example.com", "2026-11-20T21:15:00.000Z", "Dave Deployer", 1, 0, nil, 1, 1, 1, "none", "unverified", "{}", 0),
        ]
        #expect(rows.count == expected.count)
        for (row, e) in zip(rows, expected) {
            let got = (0..<15).map { row[$0] as DatabaseValue }.map { $0.isNull ? "nil" : "\($0.storage.value!)" }.joined(separator: "|")
            let want = [e.0, e.1, e.2, e.3, e.4, "\(e.5)", "\(e.6)", e.7.map { "\($0)" } ?? "nil", "\(e.8)", "\(e.9)", "\(e.10)",
                        e.11, e.12, e.13, "\(e.14)"].joined(separator: "|")
            #expect(got == want)
            #expect((row[15] as Int64) == 40 && (row[16] as Int64) == 40 && (row[17] as Int64) == 1)
        }
        // Per-file changes: a rename with its old path, a binary file without line stats.
        let changes = try GitFixture.rows(store, """
            SELECT c.summary, ch.path, ch.status, ch.old_path, ch.additions, ch.deletions, ch.binary FROM git_change ch
            JOIN git_commit c ON c.capture_id = ch.capture_id AND c.id = ch.commit_id
            WHERE ch.capture_id = ? ORDER BY c.author_epoch, ch.path
            """, [outcome.captureID])
        let got = changes.map { r -> String in
            let adds = (r[4] as Int64?).map(String.init) ?? "-", dels = (r[5] as Int64?).map(String.init) ?? "-"
            return "\(r[0] as String)|\(r[1] as String)|\(r[2] as String)|\((r[3] as String?) ?? "")|\(adds)|\(dels)|\(r[6] as Int64)"
        }
        #expect(got == [
            "Initial platform layout|k8s/namespaces.yaml|added||4|0|0",
            "Initial platform layout|nixos/hosts/edge.nix|added||4|0|0",
            "Initial platform layout|talos/controlplane.yaml|added||4|0|0",
            "Harden kubelet flags|k8s/kubelet.yaml|added||4|0|0",
            "Merge pull request #12 from example/feature/kubelet|k8s/kubelet.yaml|added||4|0|0",
            "Bump Talos installer to v1.8.3|talos/controlplane.yaml|modified||1|1|0",
            "Rename edge host configuration (#13)|nixos/hosts/edge-01.nix|renamed|nixos/hosts/edge.nix|1|0|0",
            "Encrypt the system disk|talos/controlplane.yaml|modified||3|0|0",
            "Default-deny network policy for platform|k8s/netpol-default-deny.yaml|added||8|0|0",
            "Enforce restricted pod security|k8s/namespaces.yaml|modified||2|0|0",
        ])
        // The unfiltered base rows keep README.md and the binary diagram.
        #expect(try GitFixture.int(store, "SELECT count(*) FROM git_change_row WHERE path = 'docs/diagram.png' AND binary = 1 AND additions IS NULL") == 2)
        // Refs: the branch, HEAD and the annotated tag peeled to its commit.
        let refs = try GitFixture.rows(store, "SELECT name, type, target, peeled FROM git_ref WHERE capture_id = ? ORDER BY name", [outcome.captureID])
        let head = try GitFixture.rev(repo, "main")
        #expect(refs.map { "\($0[0] as String) \($0[1] as String)" } == ["HEAD head", "refs/heads/main branch", "refs/tags/v2026.11 tag"])
        #expect((refs[1][2] as String) == head && (refs[2][3] as String) == head && (refs[2][2] as String) != head)
        #expect(try Verifier(store: store).verify().isIntact)
    }
}
