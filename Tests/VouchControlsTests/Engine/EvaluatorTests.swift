import Foundation
import GRDB
import Testing
import VouchCollectors
@testable import VouchControls
import VouchCore
import VouchTestSupport

/// Evaluations over real stores filled by the real capture pipeline.
@Suite struct EvaluatorTests {
    struct Fixture {
        var dir: URL
        var store: EvidenceStore
        var captureID: Int64
    }

    func collect() throws -> Fixture {
        let dir = try TestSupport.makeTempDir("vouch-eval")
        try TestSupport.write("PermitRootLogin no\n", to: dir.appendingPathComponent("etc/sshd_config"))
        let store = try EvidenceStore(path: dir.appendingPathComponent("vouch.db").path)
        let outcome = try CaptureRunner(store: store, collectors: CollectorRegistry.all, baseDirectory: dir)
            .run([SourceRequest(source: "files", target: "etc")])
        return Fixture(dir: dir, store: store, captureID: outcome.captureID)
    }

    func evaluate(_ f: Fixture, _ settings: ProfileSettings = ProfileSettings(), now: Date = Date()) throws -> EvaluationSummary {
        var e = Evaluator(store: f.store, catalog: ShippedCatalog.catalog, settings: settings, profileSHA256: "profile-digest")
        e.now = now
        return try e.evaluate()
    }

    func result(_ s: EvaluationSummary, _ check: String) -> CheckOutcome? { s.checks.first { $0.checkID == check } }
    func control(_ s: EvaluationSummary, _ id: String) -> ControlOutcome? { s.controls.first { $0.control.id == id } }

    @Test func anIntactFreshStoreImplementsTheEvidenceControls() throws {
        let f = try collect()
        var settings = ProfileSettings()
        settings.applicability["A.7.4"] = .init(applicable: false, justification: "no premises")
        settings.attestations = [.init(control: "A.5.1", statement: "approved", owner: "CISO", date: Date().addingTimeInterval(-86_400),
                                       reviewBy: Date().addingTimeInterval(86_400 * 300), evidence: nil)]
        let s = try evaluate(f, settings)
        #expect(result(s, "store.chain-verifies")?.status == "pass")
        #expect(result(s, "store.capture-fresh")?.status == "pass")
        #expect(control(s, "A.5.33")?.status == .implemented)
        #expect(control(s, "A.5.1")?.status == .manualAttested)
        #expect(control(s, "A.6.1")?.status == .manualPending)
        #expect(control(s, "A.7.4")?.status == .notApplicable)
        try f.store.pool.read { db in
            let e = try #require(try Row.fetchOne(db, sql: "SELECT * FROM evaluation WHERE id = ?", arguments: [s.evaluationID]))
            #expect(e["catalog_sha256"] as String == ShippedCatalog.catalog.sha256)
            #expect(e["profile_sha256"] as String == "profile-digest")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM soa WHERE capture_id = ?", arguments: [f.captureID]) == 93)
            let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM soa WHERE control_id = 'A.7.4'"))
            #expect(row["applicable"] as Int == 0)
            #expect(row["justification"] as String == "no premises")
            let att: String = try #require(try String.fetchOne(db, sql: "SELECT attestation FROM soa WHERE control_id = 'A.5.1'"))
            #expect(att.contains("\"owner\":\"CISO\""))
        }
    }

    @Test func aTamperedStoreFailsTheChainCheck() throws {
        let f = try collect()
        try TestSupport.sqlite(URL(fileURLWithPath: f.store.path), "UPDATE item SET data = '{\"x\":1}' WHERE id = (SELECT min(id) FROM item)")
        let s = try evaluate(f)
        #expect(result(s, "store.chain-verifies")?.status == "fail")
        #expect(control(s, "A.5.33")?.status == .partiallyImplemented)
        #expect(s.hasFailures)
    }

    @Test func oldEvidenceFailsFreshnessAndNeverPasses() throws {
        let f = try collect()
        let s = try evaluate(f, now: Date().addingTimeInterval(86_400 * 3))
        #expect(result(s, "store.capture-fresh")?.status == "fail")
    }

    @Test func exceptionsApplyUntilTheyExpire() throws {
        let f = try collect()
        try TestSupport.sqlite(URL(fileURLWithPath: f.store.path), "UPDATE item SET data = '{\"x\":1}' WHERE id = (SELECT min(id) FROM item)")
        var settings = ProfileSettings()
        let live = ProfileSettings.Exception(check: "store.chain-verifies", resource: "evidence*", reason: "restoring", approver: "CISO",
                                             expires: Date().addingTimeInterval(86_400), location: "")
        settings.exceptions = [live]
        let s1 = try evaluate(f, settings)
        let r1 = try #require(result(s1, "store.chain-verifies"))
        #expect(r1.status == "skip")
        #expect(r1.exception?["expired"] == false)
        #expect(r1.reason.contains("accepted by exception (approver CISO"))
        var expired = live
        expired.expires = Date().addingTimeInterval(-86_400)
        settings.exceptions = [expired]
        let s2 = try evaluate(f, settings)
        let r2 = try #require(result(s2, "store.chain-verifies"))
        #expect(r2.status == "fail")
        #expect(r2.exception?["expired"] == true)
        #expect(r2.reason.contains("expired on"))
        try f.store.pool.read { db in
            let json = try String.fetchOne(db, sql: "SELECT exception FROM check_result WHERE evaluation_id = ? AND check_id = 'store.chain-verifies'",
                                           arguments: [s2.evaluationID])
            #expect(json?.contains("\"expired\":true") == true)
        }
    }
}
