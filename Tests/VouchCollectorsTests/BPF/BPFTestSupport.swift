import Crypto
import Foundation
import GRDB
import VouchCollectors
import VouchCore
import VouchTestSupport

/// Runs the bpf collector into a fresh store and hands back the store for queries.
enum BPFTestSupport {
    static func collect(target: String, options: [String: JSONValue] = [:], in folder: URL? = nil) throws -> (store: EvidenceStore, capture: CaptureOutcome) {
        let dir = try folder ?? TestSupport.makeTempDir("vouch-bpf")
        let store = try EvidenceStore(path: dir.appendingPathComponent("vouch.db").path)
        let runner = CaptureRunner(store: store, collectors: CollectorRegistry.all, baseDirectory: dir)
        let outcome = try runner.run([SourceRequest(source: "bpf", target: target, options: options)])
        return (store, outcome)
    }

    /// The content hash as the collector defines it: key then value bytes, entries sorted by key bytes.
    static func contentSHA(_ entries: [(key: [UInt8], value: [UInt8])]) -> String {
        var h = SHA256()
        for e in entries.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            h.update(data: e.key)
            h.update(data: e.value)
        }
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    static func rows(_ store: EvidenceStore, _ sql: String, _ args: StatementArguments = []) throws -> [Row] {
        try store.pool.read { try Row.fetchAll($0, sql: sql, arguments: args) }
    }
}

extension Row {
    /// Typed column reads: keep `#expect` expressions cheap to type-check.
    func int(_ column: String) -> Int64? { self[column] }
    func str(_ column: String) -> String? { self[column] }
}
