import Foundation
import GRDB
import VouchCore

/// Builds a `ReportModel` from the store alone (renderers never query sources).
public struct ReportLoader {
    public let store: EvidenceStore
    public var options: ReportOptions

    public init(store: EvidenceStore, options: ReportOptions) {
        self.store = store
        self.options = options
    }

    public func load() throws -> ReportModel {
        let captureID = try store.resolveCapture(options.captureID)
        return try store.pool.read { db in try load(db, captureID: captureID) }
    }

    func load(_ db: Database, captureID: Int64) throws -> ReportModel {
        let history = try captures(db, upTo: captureID)
        guard let capture = history.last else { throw StoreError.noSuchCapture(captureID) }
        let evaluation = try Self.evaluation(db, captureID: captureID)
        var controls: [ControlReport] = []
        var cited: [EvidenceRef] = []
        if let evaluation {
            (controls, cited) = try ControlLoader(db: db, captureID: captureID, evaluationID: evaluation.id,
                                                  options: options).load()
        }
        var appendix = try ContextLoader.appendix(db, captureID: captureID, limit: options.listLimit)
        appendix.cited = cited
        return ReportModel(
            generatedAt: options.generatedAt, toolVersion: VouchVersion.current,
            organisation: options.organisation, scope: options.scope, capture: capture,
            periodStart: history.first?.startedAt ?? capture.startedAt, periodEnd: capture.finishedAt,
            history: history, sources: try sources(db, captureID: captureID), evaluation: evaluation,
            controls: controls,
            drift: try ItemDrift.compute(db, captureID: captureID, limit: options.driftLimit),
            timeline: try ContextLoader.timeline(db, captureID: captureID, limit: options.timelineLimit),
            policyVerification: try ContextLoader.policyVerification(db, captureID: captureID, limit: options.listLimit),
            evidence: appendix,
            trend: try ContextLoader.trend(db, captures: history))
    }

    /// The capture and the ones before it, oldest first, at most `historyLimit`.
    func captures(_ db: Database, upTo id: Int64) throws -> [CaptureSummary] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT * FROM capture WHERE id <= ? ORDER BY id DESC LIMIT ?
            """, arguments: [id, max(1, options.historyLimit)])
        return rows.reversed().map { r in
            CaptureSummary(id: r["id"], startedAt: RowText.text(r, "started_at"), finishedAt: RowText.text(r, "finished_at"),
                           host: RowText.text(r, "host"), toolVersion: RowText.text(r, "tool_version"),
                           profileSHA256: RowText.optionalText(r, "profile_sha256"), itemCount: RowText.int(r, "item_count"),
                           errorCount: RowText.int(r, "error_count"), manifestSHA256: RowText.text(r, "manifest_sha256"),
                           prevSeal: RowText.text(r, "prev_seal"), seal: RowText.text(r, "seal"))
        }
    }

    func sources(_ db: Database, captureID: Int64) throws -> [SourceSummary] {
        try Row.fetchAll(db, sql: "SELECT * FROM capture_source WHERE capture_id = ? ORDER BY seq", arguments: [captureID]).map { r in
            SourceSummary(source: RowText.text(r, "source"), target: RowText.text(r, "target"), status: RowText.text(r, "status"),
                          itemCount: RowText.int(r, "item_count"), errorCount: RowText.int(r, "error_count"))
        }
    }

    /// The newest evaluation of a capture, if the engine ran on it.
    public static func evaluation(_ db: Database, captureID: Int64) throws -> EvaluationInfo? {
        guard try RowText.columns(db, "evaluation") != nil else { return nil }
        guard let r = try Row.fetchOne(db, sql: "SELECT * FROM evaluation WHERE capture_id = ? ORDER BY id DESC LIMIT 1",
                                       arguments: [captureID]) else { return nil }
        return EvaluationInfo(id: r["id"], evaluatedAt: RowText.text(r, "evaluated_at"),
                                 catalogSHA256: RowText.text(r, "catalog_sha256"),
                                 profileSHA256: RowText.optionalText(r, "profile_sha256"),
                                 toolVersion: RowText.text(r, "tool_version"))
    }
}
