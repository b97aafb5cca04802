import Foundation
import GRDB
import VouchCore
import VouchReports
import VouchTestSupport

/// A collector for tests: hands the runner fixed items (and raw artifacts), so captures are real
/// (sealed, chained, in a real SQLite file) and fully deterministic.
struct FixtureCollector: Collector {
    let source = "fixture"
    let targetSyntax = "NAME"
    let summary = "fixed evidence items for tests"
    let items: [(item: EvidenceItem, blob: Data?)]

    func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        for (item, blob) in items {
            var it = item
            if let blob { it.blobSHA256 = try sink.storeBlob(blob) }
            try sink.add(it)
        }
    }
}

/// One control row and its checks' results, as the engine writes them.
struct FixtureControl {
    var id: String
    var title: String
    var theme: String
    var applicable = true
    var justification: String?
    var status: String
    var checks: [String] = []
    var attestation: String?
}

struct FixtureResult {
    var check: String
    var resource: String
    var status: String
    var reason: String
    var evidenceSubjects: [String] = []
    var exception: String?
}

enum ReportFixture {
    static let generatedAt = "2026-01-01T00:00:00.000Z"

    static func item(_ kind: String, _ subject: String, _ data: JSONValue, origin: String? = nil, blob: String? = nil) -> (EvidenceItem, Data?) {
        (EvidenceItem(kind: kind, subject: subject, origin: origin ?? "/estate/\(subject)", data: data), blob.map { Data($0.utf8) })
    }

    /// Takes one capture of the given items at a fixed time.
    @discardableResult
    static func capture(_ store: EvidenceStore, at time: String, items: [(EvidenceItem, Data?)], target: String = "estate") throws -> Int64 {
        let runner = CaptureRunner(store: store, collectors: [FixtureCollector(items: items.map { ($0.0, $0.1) })], host: "fixture-host")
        let date = Timestamp.parse(time)!
        runner.now = { date }
        return try runner.run([SourceRequest(source: "fixture", target: target)]).captureID
    }

    /// Writes an evaluation of a capture as `vouch evaluate` would (engine results tables).
    @discardableResult
    static func evaluate(_ store: EvidenceStore, capture: Int64, at time: String, controls: [FixtureControl],
                         results: [FixtureResult]) throws -> Int64 {
        try store.pool.write { db in
            try db.execute(sql: """
                INSERT INTO evaluation(capture_id, evaluated_at, catalog_sha256, profile_sha256, tool_version)
                VALUES (?, ?, ?, NULL, ?)
                """, arguments: [capture, time, String(repeating: "c", count: 64), VouchVersion.current])
            let evaluation = db.lastInsertedRowID
            var counts: [String: StatusCounts] = [:]
            for r in results {
                var ids: [Int64] = []
                for subject in r.evidenceSubjects {
                    if let id = try Int64.fetchOne(db, sql: "SELECT id FROM evidence WHERE capture_id = ? AND subject = ?",
                                                   arguments: [capture, subject]) { ids.append(id) }
                }
                try db.execute(sql: """
                    INSERT INTO check_result(evaluation_id, capture_id, check_id, resource, status, reason, severity, evidence, exception)
                    VALUES (?, ?, ?, ?, ?, ?, 'medium', ?, ?)
                    """, arguments: [evaluation, capture, r.check, r.resource, r.status, r.reason,
                                     "[" + ids.map(String.init).joined(separator: ",") + "]", r.exception])
                counts[r.check, default: StatusCounts()].add(r.status)
            }
            for c in controls {
                let total = c.checks.reduce(into: StatusCounts()) { acc, k in
                    let n = counts[k] ?? StatusCounts()
                    acc.pass += n.pass; acc.fail += n.fail; acc.error += n.error
                }
                try db.execute(sql: """
                    INSERT INTO control_result(evaluation_id, capture_id, control_id, title, theme, applicable, justification, status,
                                               checks, attestation, pass_count, fail_count, error_count)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [evaluation, capture, c.id, c.title, c.theme, c.applicable ? 1 : 0, c.justification, c.status,
                                     JSONValue.array(c.checks.map { .string($0) }).canonicalText, c.attestation,
                                     total.pass, total.fail, total.error])
            }
            return evaluation
        }
    }

    /// Inserts a row into a table another area owns, filling any NOT NULL column the test does not name.
    static func insertFlexible(_ db: Database, _ table: String, _ values: [String: any DatabaseValueConvertible]) throws {
        let info = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))")
        var columns: [String] = []
        var args: [(any DatabaseValueConvertible)?] = []
        for col in info {
            let name: String = col["name"]
            if let v = values[name] { columns.append(name); args.append(v); continue }
            let notNull: Bool = col["notnull"]
            let hasDefault = !(col["dflt_value"] as DatabaseValue).isNull
            let pk: Int = col["pk"]
            if notNull, !hasDefault, pk == 0 {
                let type = (col["type"] as String).uppercased()
                columns.append(name)
                args.append(type.contains("INT") || type.contains("REAL") ? 0 : "")
            }
        }
        let sql = "INSERT INTO \(table)(\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        try db.execute(sql: sql, arguments: StatementArguments(args))
    }

    /// A new store in a fresh temporary folder.
    static func makeStore() throws -> (EvidenceStore, URL) {
        let dir = try TestSupport.makeTempDir("vouch-report")
        return (try EvidenceStore(path: dir.appendingPathComponent("vouch.db").path), dir)
    }
}
