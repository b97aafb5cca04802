import Foundation
import GRDB
import VouchCollectors
import VouchCore
import VouchTestSupport

/// Runs the real `talos` collector into a real SQLite store in a temporary folder.
struct TalosHarness {
    let dir: URL
    let store: EvidenceStore
    let redactor = Redactor()

    init() throws {
        dir = try TestSupport.makeTempDir("vouch-talos")
        store = try EvidenceStore(path: dir.appendingPathComponent("vouch.db").path)
    }

    static var fixtures: URL { TestSupport.packageRoot.appendingPathComponent("fixtures/talos") }

    /// One capture of `talos=target` (with profile-style options).
    @discardableResult
    func collect(_ target: String, options: [String: JSONValue] = [:]) throws -> CaptureOutcome {
        let runner = CaptureRunner(store: store, collectors: CollectorRegistry.all, baseDirectory: dir, redactor: redactor)
        return try runner.run([SourceRequest(source: "talos", target: target, options: options)])
    }

    func rows(_ sql: String, _ args: StatementArguments = []) throws -> [Row] {
        try store.pool.read { try Row.fetchAll($0, sql: sql, arguments: args) }
    }

    func value<T: DatabaseValueConvertible>(_ sql: String, _ args: StatementArguments = []) throws -> T? {
        try store.pool.read { try T.fetchOne($0, sql: sql, arguments: args) }
    }

    /// The errors the capture recorded, as text.
    func errors() throws -> [String] {
        try rows("SELECT data FROM evidence WHERE status = 'error' ORDER BY seq").map { $0["data"] as String }
    }

    /// Every byte of the store (database, WAL): what a secret must never be found in.
    func storeBytes() throws -> Data {
        _ = try store.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        var all = Data()
        for name in ["vouch.db", "vouch.db-wal", "vouch.db-shm"] {
            if let d = try? Data(contentsOf: dir.appendingPathComponent(name)) { all.append(d) }
        }
        return all
    }

    /// Writes a file into the temporary folder and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try TestSupport.write(text, to: url)
        return url.path
    }
}
