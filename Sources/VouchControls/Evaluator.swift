import Foundation
import GRDB
import VouchCore

/// What one evaluation produced.
public struct EvaluationSummary: Sendable {
    public var evaluationID: Int64
    public var captureID: Int64
    public var checks: [CheckOutcome]
    public var controls: [ControlOutcome]
    public var verificationProblems: Int

    public func count(checkStatus s: String) -> Int { checks.filter { $0.status == s }.count }
    public func count(_ s: ControlStatus) -> Int { controls.filter { $0.status == s }.count }
    /// Whether any check failed (after exceptions): `vouch evaluate` then exits 1.
    public var hasFailures: Bool { checks.contains { $0.status == "fail" } }
}

/// Runs every check of the catalog over one capture, derives each control's status and writes the
/// results (`evaluation`, `check_result`, `control_result`, hence the `soa` view) in one transaction.
public struct Evaluator {
    public var store: EvidenceStore
    public var catalog: Catalog
    public var settings: ProfileSettings
    public var profileSHA256: String?
    public var now: Date = Date()
    /// Recompute the store's hashes first, for checks that read `store_verification`.
    public var verifyStore = true

    public init(store: EvidenceStore, catalog: Catalog, settings: ProfileSettings, profileSHA256: String?) {
        self.store = store
        self.catalog = catalog
        self.settings = settings
        self.profileSHA256 = profileSHA256
    }

    public func evaluate(captureID requested: Int64? = nil) throws -> EvaluationSummary {
        let captureID = try store.resolveCapture(requested)
        var verification: VerifyReport?
        if verifyStore { verification = try Verifier(store: store).verify() }
        return try store.pool.write { db in
            try db.execute(sql: """
                INSERT INTO evaluation(capture_id, evaluated_at, catalog_sha256, profile_sha256, tool_version, framework, catalog_origin)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [captureID, Timestamp.string(now), catalog.sha256, profileSHA256, VouchVersion.current,
                                 catalog.framework.id, catalog.origin])
            let evaluationID = db.lastInsertedRowID
            var problems = 0
            if let v = verification {
                let relevant = v.problems.filter { ($0.captureID ?? 0) <= captureID }
                problems = relevant.count
                try db.execute(sql: """
                    INSERT INTO store_verification(evaluation_id, capture_id, captures, items, blobs, problem_count, first_problem)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [evaluationID, captureID, v.captures, v.items, v.blobs, relevant.count, relevant.first?.description])
            }
            let ctx = RunContext(captureID: captureID, evaluationID: evaluationID, now: now, settings: settings,
                                 sources: try SourceState.load(db, captureID: captureID))
            var byCheck: [String: [CheckOutcome]] = [:]
            var all: [CheckOutcome] = []
            for check in catalog.sortedChecks {
                let started = DispatchTime.now()
                let rows = try CheckRunner.run(check, in: db, context: ctx)
                let ms = Int64((DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1_000_000)
                byCheck[check.id] = rows
                all += rows
                try write(check, rows, ms: ms, db: db, ctx: ctx)
            }
            var controls: [ControlOutcome] = []
            for (seq, control) in catalog.controls.enumerated() {
                let results = control.checks.flatMap { byCheck[$0] ?? [] }
                let outcome = StatusDerivation.derive(control: control, applicability: settings.applicability(of: control.id),
                                                      results: results, attestation: settings.attestation(for: control.id), now: now)
                controls.append(outcome)
                try write(outcome, seq: seq, db: db, ctx: ctx)
            }
            return EvaluationSummary(evaluationID: evaluationID, captureID: captureID, checks: all, controls: controls,
                                     verificationProblems: problems)
        }
    }

    private func write(_ check: Check, _ rows: [CheckOutcome], ms: Int64, db: Database, ctx: RunContext) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO check_result(evaluation_id, capture_id, check_id, resource, status, reason, severity, evidence, exception)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for r in rows {
            try insert.execute(arguments: [ctx.evaluationID, ctx.captureID, r.checkID, r.resource, r.status, r.reason, r.severity,
                                           JSONValue.array(r.evidence.map { .int($0) }).canonicalText, r.exception?.canonicalText])
        }
        let inputs = JSONValue.object(settings.inputValues(for: check))
        try db.execute(sql: """
            INSERT INTO evaluation_check(evaluation_id, check_id, title, severity, sources, controls, inputs, remediation, sql_sha256, duration_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [ctx.evaluationID, check.id, check.title, check.severity,
                             JSONValue.array(check.sources.map { .string($0) }).canonicalText,
                             JSONValue.array(catalog.controls(using: check.id).map { .string($0) }).canonicalText,
                             inputs.canonicalText, check.remediation, Hashing.sha256Hex(check.sql), ms])
    }

    private func write(_ c: ControlOutcome, seq: Int, db: Database, ctx: RunContext) throws {
        try db.execute(sql: """
            INSERT INTO control_result(evaluation_id, capture_id, control_id, title, theme, applicable, justification, status,
                                       checks, attestation, pass_count, fail_count, error_count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [ctx.evaluationID, ctx.captureID, c.control.id, c.control.title, c.control.theme, c.applicable ? 1 : 0,
                             c.justification, c.status.rawValue, JSONValue.array(c.control.checks.map { .string($0) }).canonicalText,
                             c.attestation?.canonicalText, c.passCount, c.failCount, c.errorCount])
        try db.execute(sql: "INSERT INTO evaluation_control(evaluation_id, control_id, seq, guidance, manual) VALUES (?, ?, ?, ?, ?)",
                       arguments: [ctx.evaluationID, c.control.id, seq, c.control.guidance, c.control.manual])
    }
}
