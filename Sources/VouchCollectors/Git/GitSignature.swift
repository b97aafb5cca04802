import CLibGit2
import Foundation
import VouchCore

/// A signature verdict: `unverified` (no trust given, unsigned, or a format we cannot check),
/// `good`, `bad` (does not match the commit, or the key is expired or revoked), `unknown-key`.
struct GitSignatureVerdict: Sendable, Equatable {
    var status: String
    var signer: String?
    static let unverified = GitSignatureVerdict(status: "unverified", signer: nil)
}

/// Verifies commit signatures with the real tools: `ssh-keygen -Y verify` against an
/// allowed-signers file, `gpg --verify` against a keyring imported into a private home.
final class GitVerifier: @unchecked Sendable {
    let allowedSigners: String?
    private let gpgHome: String?
    /// The digest of the trust given (file names and contents), recorded per capture.
    let trustSHA256: String?
    private let scratch: String

    init(allowedSigners: String?, gpgKeyring: String?) throws {
        self.allowedSigners = allowedSigners
        scratch = NSTemporaryDirectory() + "vouch-git-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        var h = FieldHasher(domain: "vouch.git.trust.v1")
        if let allowedSigners {
            guard let data = FileManager.default.contents(atPath: allowedSigners) else {
                throw GitCollectorError.unreadableTrust(path: allowedSigners, what: "allowed_signers")
            }
            h.add("ssh"); h.add(bytes: Array(data))
        }
        if let gpgKeyring {
            guard let data = FileManager.default.contents(atPath: gpgKeyring) else {
                throw GitCollectorError.unreadableTrust(path: gpgKeyring, what: "gpg_keyring")
            }
            h.add("gpg"); h.add(bytes: Array(data))
            let home = scratch + "/gnupg"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let r = Self.run("gpg", ["--homedir", home, "--batch", "--quiet", "--import", gpgKeyring])
            guard r.status == 0 else {
                throw GitCollectorError.unreadableTrust(path: gpgKeyring, what: "gpg_keyring (gpg --import: \(r.stderr.prefix(200)))")
            }
            gpgHome = home
        } else {
            gpgHome = nil
        }
        trustSHA256 = (allowedSigners == nil && gpgKeyring == nil) ? nil : h.finalizeHex()
    }

    deinit { try? FileManager.default.removeItem(atPath: scratch) }

    /// Verifies one commit's signature, read from its header with libgit2.
    func verify(repo: Git2Repository, commitID: String, type: String) -> GitSignatureVerdict {
        guard type == "ssh" && allowedSigners != nil || type == "gpg" && gpgHome != nil,
              var oid = oidFrom(commitID) else { return .unverified }
        var sig = git_buf(), signed = git_buf()
        defer { git_buf_dispose(&sig); git_buf_dispose(&signed) }
        guard git_commit_extract_signature(&sig, &signed, repo.pointer, &oid, nil) == 0 else {
            return GitSignatureVerdict(status: "bad", signer: nil)
        }
        let base = scratch + "/" + commitID + "-" + UUID().uuidString.prefix(6)
        let sigPath = base + ".sig", payloadPath = base + ".payload"
        defer { unlink(sigPath); unlink(payloadPath) }
        guard FileManager.default.createFile(atPath: sigPath, contents: Data(bytes: sig.ptr, count: sig.size)),
              FileManager.default.createFile(atPath: payloadPath, contents: Data(bytes: signed.ptr, count: signed.size))
        else { return .unverified }
        return type == "ssh" ? verifySSH(sig: sigPath, payload: payloadPath) : verifyGPG(sig: sigPath, payload: payloadPath)
    }

    private func verifySSH(sig: String, payload: String) -> GitSignatureVerdict {
        guard let allowed = allowedSigners else { return .unverified }
        let find = Self.run("ssh-keygen", ["-Y", "find-principals", "-f", allowed, "-s", sig])
        if find.status == 0, let principal = find.stdout.split(whereSeparator: \.isNewline).first.map(String.init) {
            let v = Self.run("ssh-keygen", ["-Y", "verify", "-f", allowed, "-I", principal, "-n", "git", "-s", sig], stdinPath: payload)
            let key = Self.sshKey(v.stdout)
            return GitSignatureVerdict(status: v.status == 0 ? "good" : "bad", signer: key.map { "\(principal) \($0)" } ?? principal)
        }
        let check = Self.run("ssh-keygen", ["-Y", "check-novalidate", "-n", "git", "-s", sig], stdinPath: payload)
        let key = Self.sshKey(check.stdout)
        return GitSignatureVerdict(status: check.status == 0 ? "unknown-key" : "bad", signer: key)
    }

    /// `Good "git" signature for P with ED25519 key SHA256:…` → `ED25519 SHA256:…`.
    static func sshKey(_ output: String) -> String? {
        guard let r = output.range(of: " with ") else { return nil }
        let rest = output[r.upperBound...].prefix(while: { !$0.isNewline })
        return rest.replacingOccurrences(of: " key ", with: " ").trimmingCharacters(in: .whitespaces)
    }

    private func verifyGPG(sig: String, payload: String) -> GitSignatureVerdict {
        guard let home = gpgHome else { return .unverified }
        let r = Self.run("gpg", ["--homedir", home, "--batch", "--status-fd", "1", "--trust-model", "always", "--verify", sig, payload])
        var status = "bad"
        var signer: String?
        for line in r.stdout.split(whereSeparator: \.isNewline) {
            let f = line.split(separator: " ")
            guard f.count >= 2, f[0] == "[GNUPG:]" else { continue }
            switch f[1] {
            case "GOODSIG": status = "good"
            case "VALIDSIG" where f.count >= 3: signer = String(f[2])
            case "NO_PUBKEY": status = "unknown-key"; if f.count >= 3 { signer = String(f[2]) }
            case "BADSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG": status = "bad"; if f.count >= 3 { signer = String(f[2]) }
            default: break
            }
        }
        // GOODSIG alone is not enough: gpg must also have exited successfully.
        if status == "good" && r.status != 0 { status = "bad" }
        return GitSignatureVerdict(status: status, signer: signer)
    }

    struct ToolResult { var status: Int32; var stdout: String; var stderr: String }

    /// Runs a tool found on PATH with small outputs read through files (no pipe deadlocks).
    static func run(_ tool: String, _ args: [String], stdinPath: String? = nil) -> ToolResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        var env = ProcessInfo.processInfo.environment
        env["LC_ALL"] = "C"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdinPath.flatMap { FileHandle(forReadingAtPath: $0) } ?? FileHandle.nullDevice
        do { try p.run() } catch { return ToolResult(status: 127, stdout: "", stderr: "\(tool): \(error)") }
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return ToolResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errData, as: UTF8.self))
    }
}
