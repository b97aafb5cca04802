import Foundation
import GRDB
import Testing
import VouchTestSupport
@testable import VouchCore

/// Adds one shared item and one item unique to the target, each with a blob.
struct PruneCollector: Collector {
    let source = "prune"
    let targetSyntax = "NAME"
    let summary = "test items (tests only)"

    func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        let shared = try sink.storeBlob(Data("shared content".utf8))
        try sink.add(EvidenceItem(kind: "t.shared", subject: "s", origin: "test", data: ["v": 1], blobSHA256: shared))
        let own = try sink.storeBlob(Data("content of \(request.target)".utf8))
        try sink.add(EvidenceItem(kind: "t.own", subject: request.target, origin: "test", data: ["v": .string(request.target)], blobSHA256: own))
    }
}

@Suite struct PruningTests {
    func store(captures: Int) throws -> EvidenceStore {
        let store = try EvidenceStore(path: try TestSupport.makeTempDir("vouch-prune").appendingPathComponent("v.db").path)
        let runner = CaptureRunner(store: store, collectors: [PruneCollector()])
        for i in 1...captures { _ = try runner.run([SourceRequest(source: "prune", target: "c\(i)")]) }
        return store
    }

    func count(_ store: EvidenceStore, _ sql: String) throws -> Int {
        try store.pool.read { try Int.fetchOne($0, sql: sql) ?? -1 }
    }

    @Test func pruningKeepsTheChainVerifiableAndCollectsGarbage() throws {
        let store = try store(captures: 5)
        try store.pool.write { db in
            try db.execute(sql: "INSERT INTO evaluation(capture_id, evaluated_at, catalog_sha256, tool_version) VALUES (1, 'now', 'x', 't')")
            try db.execute(sql: "INSERT INTO check_result(evaluation_id, capture_id, check_id, resource, status, reason) VALUES (1, 1, 'c', 'r', 'pass', 'ok')")
            for capture in [1, 4] {
                try db.execute(sql: "INSERT INTO policy_verification(capture_id, host, endpoint_id, verdict, policies) VALUES (?, 'n1', 7, 'match', 'NetworkPolicy/a/b')",
                               arguments: [capture])
            }
        }
        let seals = try store.pool.read { try Row.fetchAll($0, sql: "SELECT id, seal, prev_seal FROM capture ORDER BY id") }
        let outcome = try Pruning.apply(store, policy: PruningPolicy(keepLast: 2), reason: "test policy")
        #expect(outcome.captures == [1, 2, 3])
        #expect(outcome.items == 3 && outcome.blobs == 3, "each pruned capture had one item and blob of its own: \(outcome)")
        #expect(try count(store, "SELECT count(*) FROM capture") == 2)
        #expect(try count(store, "SELECT count(*) FROM item") == 3)
        #expect(try count(store, "SELECT count(*) FROM blob") == 3)
        #expect(try count(store, "SELECT count(*) FROM check_result") == 0)
        #expect(try count(store, "SELECT count(*) FROM evaluation") == 0)
        // Derived policy verification rows go with their capture, every table behind the view.
        #expect(try count(store, "SELECT count(*) FROM policy_verification") == 1)
        #expect(try count(store, "SELECT count(*) FROM policy_verification WHERE capture_id = 4") == 1)
        for table in Schema.policyVerificationTables {
            #expect(try count(store, "SELECT count(*) FROM \(table) WHERE capture_id = 1") == 0, "\(table)")
        }
        // The markers hold the pruned captures' seals, so the chain still links.
        let markers = try store.pool.read { try Row.fetchAll($0, sql: "SELECT id, seal, prev_seal, reason FROM capture_pruned ORDER BY id") }
        #expect(markers.map { $0[0] as Int64 } == [1, 2, 3])
        for (m, s) in zip(markers, seals) {
            #expect((m[1] as String) == (s[1] as String) && (m[2] as String) == (s[2] as String))
        }
        let report = try Verifier(store: store).verify()
        #expect(report.isIntact, "\(report.problems)")
        // A capture after pruning chains on, and the store still verifies.
        let next = try CaptureRunner(store: store, collectors: [PruneCollector()]).run([SourceRequest(source: "prune", target: "c6")])
        #expect(next.captureID == 6)
        #expect(try Verifier(store: store).verify().isIntact)
        // Deleting a capture without a marker is still caught.
        try store.pool.write { db in
            try db.execute(sql: "DELETE FROM capture_source WHERE capture_id = 4; DELETE FROM capture WHERE id = 4")
        }
        #expect(try Verifier(store: store).verify().problems.contains { $0.message.contains("without a pruning marker") })
    }

    @Test func policyByAgeNeverPrunesTheNewest() throws {
        let store = try store(captures: 3)
        let later = Date().addingTimeInterval(30 * 86_400)
        let old = try store.pool.read { try Pruning.candidates($0, policy: PruningPolicy(keepFor: 7 * 86_400), now: later) }
        #expect(old == [1, 2], "the newest capture stays whatever its age")
        let none = try store.pool.read { try Pruning.candidates($0, policy: PruningPolicy(keepLast: 2, keepFor: 7 * 86_400), now: Date()) }
        #expect(none.isEmpty, "young captures stay even beyond the count")
        #expect(try store.pool.read { try Pruning.candidates($0, policy: PruningPolicy()) }.isEmpty)
    }

    @Test func durationsAndBackoff() throws {
        #expect(try DurationText.parse("1h30m") == 5400)
        #expect(try DurationText.parse("500ms") == 0.5)
        #expect(try DurationText.parse("7d") == 604_800)
        #expect(try DurationText.parse("90") == 90)
        #expect(throws: DriftError.self) { try DurationText.parse("1 hour") }
        #expect(throws: DriftError.self) { try DurationText.parse("h") }
        #expect(DurationText.format(5400) == "1h30m")
        var b = SourceBackoff(maxSkip: 4)
        let r = SourceRequest(source: "talos", target: "live")
        b.record(r, failed: "unreachable", cycle: 1)
        #expect(b.skipReason(r, cycle: 2) == nil, "one failure: retried next cycle")
        b.record(r, failed: "unreachable", cycle: 2)
        #expect(b.skipReason(r, cycle: 3) != nil && b.skipReason(r, cycle: 4) == nil, "two failures: one cycle skipped")
        b.record(r, failed: "unreachable", cycle: 4)
        #expect(b.skipReason(r, cycle: 7) != nil && b.skipReason(r, cycle: 8) == nil)
        for c in 8...20 { b.record(r, failed: "x", cycle: c) }
        #expect(b.skipReason(r, cycle: 24) != nil && b.skipReason(r, cycle: 25) == nil, "capped at 4 skipped cycles (21…24)")
        b.record(r, failed: nil, cycle: 26)
        #expect(b.failures(r) == 0 && b.skipReason(r, cycle: 27) == nil)
    }
}
