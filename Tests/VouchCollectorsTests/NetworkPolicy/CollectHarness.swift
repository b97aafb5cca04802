import Foundation
import GRDB
import VouchCollectors
import VouchCore
import VouchTestSupport

/// Runs one real capture (a real SQLite store in a temp folder) and reads facts back.
struct CollectHarness {
    let dir: URL
    let store: EvidenceStore
    let outcome: CaptureOutcome

    /// Writes `files` (relative path → text) into a temp folder and collects `source` over `target`
    /// (default: the folder itself).
    init(source: String, files: [String: String], target: String? = nil, options: [String: JSONValue] = [:]) throws {
        let dir = try TestSupport.makeTempDir("vouch-\(source)")
        for (path, text) in files { try TestSupport.write(text, to: dir.appendingPathComponent("in/\(path)")) }
        try self.init(source: source, target: target ?? dir.appendingPathComponent("in").path, options: options, dir: dir)
    }

    init(source: String, target: String, options: [String: JSONValue] = [:], dir: URL? = nil) throws {
        self.dir = try dir ?? TestSupport.makeTempDir("vouch-\(source)")
        store = try EvidenceStore(path: self.dir.appendingPathComponent("vouch.db").path)
        let runner = CaptureRunner(store: store, collectors: CollectorRegistry.all, host: "test-host", baseDirectory: self.dir)
        outcome = try runner.run([SourceRequest(source: source, target: target, options: options)])
    }

    /// `../shared` (TestSupport), or `VOUCH_SHARED_DIR` when the checkout is a worktree elsewhere.
    static var sharedDirectory: URL? {
        TestSupport.sharedDirectory ?? ProcessInfo.processInfo.environment["VOUCH_SHARED_DIR"].map { URL(fileURLWithPath: $0) }
    }

    func rows(_ sql: String, _ arguments: StatementArguments = []) throws -> [Row] {
        try store.pool.read { try Row.fetchAll($0, sql: sql, arguments: arguments) }
    }

    /// Error items' messages.
    func errors() throws -> [String] {
        try rows("SELECT data FROM evidence WHERE status = 'error'").map { r in
            (try? JSONValue.parse(r["data"] as String))?["error"]?.stringValue ?? ""
        }
    }

    func items(kind: String) throws -> [String] {
        try rows("SELECT subject FROM evidence WHERE kind = ? ORDER BY seq", [kind]).map { $0["subject"] }
    }
}
