import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

/// Real repositories for the git tests, built with the git CLI in temporary folders.
enum GitFixture {
    static var toolsPresent: Bool { ["git", "ssh-keygen", "gpg"].allSatisfy { TestSupport.which($0) != nil } }

    /// Runs a bash script (with `set -euo pipefail`) in `dir`, failing the test on a non-zero exit.
    @discardableResult
    static func bash(_ script: String, in dir: URL, env: [String: String] = [:]) throws -> String {
        var environment = ["GIT_CONFIG_NOSYSTEM": "1", "HOME": dir.path, "TZ": "UTC", "LC_ALL": "C",
                           "GIT_AUTHOR_NAME": "Tess Tester", "GIT_AUTHOR_EMAIL": "tess@example.com",
                           "GIT_COMMITTER_NAME": "Tess Tester", "GIT_COMMITTER_EMAIL": "tess@example.com"]
        for (k, v) in env { environment[k] = v }
        let r = try TestSupport.run("/bin/bash", ["-c", "set -euo pipefail\n" + script], cwd: dir, env: environment)
        if r.status != 0 { Issue.record("script failed (\(r.status)): \(r.stderr)\n--- script:\n\(script)") }
        return r.stdout
    }

    /// The demo estate's infra repository (fixtures/git/make-infra-repo.sh) under a new temp folder.
    static func infra() throws -> URL {
        let dir = try TestSupport.makeTempDir("vouch-git")
        try bash("bash \(TestSupport.packageRoot.path)/fixtures/git/make-infra-repo.sh \(dir.path) >/dev/null", in: dir)
        return dir
    }

    /// Collects one git source into a capture and returns its outcome.
    @discardableResult
    static func collect(_ store: EvidenceStore, _ repo: URL, options: [String: JSONValue] = [:],
                        base: URL? = nil) throws -> CaptureOutcome {
        let runner = CaptureRunner(store: store, collectors: [GitCollector()],
                                   baseDirectory: base ?? repo.deletingLastPathComponent())
        return try runner.run([SourceRequest(source: "git", target: repo.path, options: options)])
    }

    static func rows(_ store: EvidenceStore, _ sql: String, _ args: StatementArguments = []) throws -> [Row] {
        try store.pool.read { db in try Row.fetchAll(db, sql: sql, arguments: args) }
    }

    static func int(_ store: EvidenceStore, _ sql: String, _ args: StatementArguments = []) throws -> Int64 {
        try store.pool.read { db in try Int64.fetchOne(db, sql: sql, arguments: args) ?? -1 }
    }

    static func rev(_ repo: URL, _ spec: String) throws -> String {
        try bash("git rev-parse '\(spec)'", in: repo).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
