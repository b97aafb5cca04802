import Foundation
import GRDB
import VouchCore
import VouchTestSupport
@testable import VouchCollectors

/// Collects `nixos` targets into a real store in a temporary folder, and reads facts back.
struct NixTestStore {
    let dir: URL
    let store: EvidenceStore
    let outcome: CaptureOutcome

    var dbPath: String { store.path }

    static func collect(_ targets: [(String, [String: JSONValue])], in dir: URL? = nil) throws -> NixTestStore {
        let dir = try dir ?? TestSupport.makeTempDir("vouch-nixos")
        let store = try EvidenceStore(path: dir.appendingPathComponent("vouch.db").path)
        let runner = CaptureRunner(store: store, collectors: CollectorRegistry.all, host: "testhost", baseDirectory: dir)
        let outcome = try runner.run(targets.map { SourceRequest(source: "nixos", target: $0.0, options: $0.1) })
        return NixTestStore(dir: dir, store: store, outcome: outcome)
    }

    static func collect(_ target: String, options: [String: JSONValue] = [:], in dir: URL? = nil) throws -> NixTestStore {
        try collect([(target, options)], in: dir)
    }

    /// Writes files (relative path → text) under a fresh folder.
    static func tree(_ files: [String: String]) throws -> URL {
        let dir = try TestSupport.makeTempDir("vouch-nixos")
        for (rel, text) in files { try TestSupport.write(text, to: dir.appendingPathComponent(rel)) }
        return dir
    }

    struct Option: Equatable {
        var host: String, path: String, value: String, valueText: String?, file: String, line: Int
        var condition: String?, priority: Int, evaluated: Int, secret: Int, legacyPath: String?, effective: Int
    }

    func options(_ whereClause: String = "1") throws -> [Option] {
        try store.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT host, path, value, value_text, file, line, condition, priority, evaluated, secret, legacy_path, effective
                FROM nixos_option WHERE \(whereClause) ORDER BY id
                """).map {
                Option(host: $0[0], path: $0[1], value: $0[2], valueText: $0[3], file: $0[4], line: $0[5], condition: $0[6],
                       priority: $0[7], evaluated: $0[8], secret: $0[9], legacyPath: $0[10], effective: $0[11])
            }
        }
    }

    func option(_ path: String, host: String? = nil) throws -> [Option] {
        try options().filter { $0.path == path && (host == nil || $0.host == host) }
    }

    func rows(_ sql: String) throws -> [Row] { try store.pool.read { try Row.fetchAll($0, sql: sql) } }

    func errors() throws -> [String] {
        try store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT json_extract(data, '$.error') FROM evidence WHERE status = 'error' ORDER BY id")
        }
    }

    /// The whole store file's bytes (with its WAL), to prove a secret is absent.
    func fileBytes() throws -> Data {
        _ = try store.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        var d = try Data(contentsOf: URL(fileURLWithPath: store.path))
        if let wal = try? Data(contentsOf: URL(fileURLWithPath: store.path + "-wal")) { d.append(wal) }
        return d
    }
}
