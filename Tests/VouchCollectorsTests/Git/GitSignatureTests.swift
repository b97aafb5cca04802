import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

@Suite("GitCollector signatures")
struct GitSignatureTests {
    /// Good, bad (payload changed after signing) and unknown-key verdicts from ssh-keygen and gpg.
    @Test func goodBadAndUnknownKeySignatures() throws {
        guard GitFixture.toolsPresent else { return TestSupport.skip("git, ssh-keygen or gpg is missing") }
        let dir = try GitFixture.infra()
        let repo = dir.appendingPathComponent("infra")
        // A commit signed by a key nobody allowed, and copies of the two signed commits with an edited message.
        try GitFixture.bash("""
            ssh-keygen -q -t ed25519 -N '' -C mallory@example.com -f ../mallory
            git checkout -q -b stranger
            echo x > k8s/extra.yaml; git add -A
            git -c gpg.format=ssh -c user.signingkey=../mallory.pub commit -q -S -m "Unknown signer"
            ssh=$(git log --format=%H --grep='Encrypt the system disk' main)
            gpg=$(git log --format=%H --grep='Default-deny' main)
            git branch tampered-ssh $(git cat-file commit $ssh | sed 's/Encrypt the system disk/Encrypt the system disk later/' | git hash-object -t commit -w --stdin)
            git branch tampered-gpg $(git cat-file commit $gpg | sed 's/Default-deny/Default-allow/' | git hash-object -t commit -w --stdin)
            """, in: repo)
        let store = try EvidenceStore(path: dir.appendingPathComponent("v.db").path)
        let c1 = try GitFixture.collect(store, repo, options: ["allowed_signers": "allowed_signers", "gpg_keyring": "keyring.asc"]).captureID
        let rows = try GitFixture.rows(store, """
            SELECT summary, signature_type, signature_status, signer FROM git_commit
            WHERE capture_id = ? AND signature_type <> 'none' ORDER BY summary
            """, [c1])
        #expect(rows.map { "\($0[0] as String)|\($0[1] as String)|\($0[2] as String)" } == [
            "Default-allow network policy for platform|gpg|bad",
            "Default-deny network policy for platform|gpg|good",
            "Encrypt the system disk|ssh|good",
            "Encrypt the system disk later|ssh|bad",
            "Unknown signer|ssh|unknown-key",
        ])
        #expect((rows[2][3] as String?)?.hasPrefix("alice@example.com ED25519 SHA256:") == true)
        let fpr = try GitFixture.bash("GNUPGHOME=\(dir.path)/keys/gnupg gpg --batch --with-colons --list-keys erin@example.com | awk -F: '/^fpr/ && !n++ {print $10}'",
                                      in: dir).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((rows[1][3] as String?) == fpr)

        // Without trust the types are still read from the header, and nothing is verified.
        let plain = try EvidenceStore(path: dir.appendingPathComponent("plain.db").path)
        let c = try GitFixture.collect(plain, repo).captureID
        #expect(try GitFixture.int(plain, "SELECT count(*) FROM git_commit WHERE capture_id = ? AND signature_type IN ('ssh', 'gpg')", [c]) == 5)
        #expect(try GitFixture.int(plain, "SELECT count(*) FROM git_commit WHERE capture_id = ? AND signature_status <> 'unverified'", [c]) == 0)

        // New trust on the same store re-verifies the stored signed commits (no commit is read again).
        let c2 = try GitFixture.collect(plain, repo, options: ["allowed_signers": "allowed_signers"]).captureID
        #expect(try GitFixture.int(plain, "SELECT count(*) FROM git_commit_row WHERE capture_id = ?", [c2]) == 0)
        let after = try GitFixture.rows(plain, "SELECT summary, signature_status FROM git_commit WHERE capture_id = ? AND signature_type <> 'none' ORDER BY summary", [c2])
        #expect(after.map { "\($0[0] as String)|\($0[1] as String)" } == [
            "Default-allow network policy for platform|unverified", "Default-deny network policy for platform|unverified",
            "Encrypt the system disk|good", "Encrypt the system disk later|bad", "Unknown signer|unknown-key",
        ])
    }
}
