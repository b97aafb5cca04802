import Foundation
import GRDB
import VouchCore

/// One result row of a check, after the profile's exceptions.
public struct CheckOutcome: Sendable, Hashable {
    public var checkID: String
    public var resource: String
    public var status: String
    public var reason: String
    public var severity: String?
    public var evidence: [Int64]
    public var exception: JSONValue?
}

/// How one source stands in the evaluated capture.
public struct SourceState: Sendable, Hashable {
    public enum Status: String, Sendable { case ok, partial, error, missing }
    public var status: Status
    public var errorCount: Int
    /// When the source was collected (the oldest target's finish time).
    public var collectedAt: String?

    /// The states of every source in a capture.
    public static func load(_ db: Database, captureID: Int64) throws -> [String: SourceState] {
        var out: [String: SourceState] = [:]
        for r in try Row.fetchAll(db, sql: """
            SELECT source, status, error_count, finished_at FROM capture_source WHERE capture_id = ? ORDER BY seq
            """, arguments: [captureID]) {
            let source: String = r[0]
            let status = Status(rawValue: r[1]) ?? .error
            var s = out[source] ?? SourceState(status: .ok, errorCount: 0, collectedAt: nil)
            if status == .error || (status == .partial && s.status == .ok) { s.status = status }
            s.errorCount += r[2] as Int
            let at: String = r[3]
            if s.collectedAt.map({ at < $0 }) ?? true { s.collectedAt = at }
            out[source] = s
        }
        return out
    }
}

/// Everything a check run depends on besides the check itself.
public struct RunContext: Sendable {
    public var captureID: Int64
    public var evaluationID: Int64
    public var now: Date
    public var settings: ProfileSettings
    public var sources: [String: SourceState]
}

/// Runs one check: source preconditions, the SQL with bound inputs, status rules, exceptions.
public enum CheckRunner {
    public static func run(_ check: Check, in db: Database, context ctx: RunContext) throws -> [CheckOutcome] {
        func row(_ resource: String, _ status: String, _ reason: String) -> CheckOutcome {
            CheckOutcome(checkID: check.id, resource: resource, status: status, reason: reason, severity: check.severity,
                         evidence: [], exception: nil)
        }
        if let setting = ctx.settings.checks[check.id], !setting.enabled {
            return [row("(check)", "skip", "disabled by the profile: \(setting.reason ?? "no reason given")")]
        }
        // A source that is missing, failed, or too old never gives a pass.
        var missing: [String] = []
        var doubts: [String] = []
        for source in check.sources where source != Check.storeSource {
            guard let s = ctx.sources[source] else { missing.append(source); continue }
            if s.status == .error { missing.append(source); continue }
            if s.errorCount > 0 { doubts.append("source \(source) had \(s.errorCount) error item(s) in capture \(ctx.captureID)") }
            if let max = ctx.settings.maxEvidenceAge, let at = s.collectedAt, let when = Timestamp.parse(at),
               ctx.now.timeIntervalSince(when) > Double(max) {
                doubts.append("evidence from \(source) was collected at \(at), older than the profile's max_evidence_age")
            }
        }
        if !missing.isEmpty {
            return missing.map { src in
                let state = ctx.sources[src].map { "failed (status \($0.status.rawValue))" } ?? "was not collected"
                return row("source \(src)", "error", "source \(src) \(state) in capture \(ctx.captureID): this check has no evidence. "
                           + "Collect it (`vouch collect --source \(src)=…` or the profile's sources), or disable the check in the profile.")
            }
        }
        let values = ctx.settings.inputValues(for: check)
        let args = try InputBinding.arguments(check: check, values: values, captureID: ctx.captureID,
                                              evaluationID: ctx.evaluationID, now: ctx.now)
        var out: [CheckOutcome] = []
        do {
            let statement = try db.makeStatement(sql: check.sql)
            let names = InputBinding.parameterNames(in: check.sql)
            var bound: [String: DatabaseValue] = [:]
            for n in names { bound[n] = args[n] ?? .null }
            let cursor = try Row.fetchCursor(statement, arguments: StatementArguments(bound))
            while let r = try cursor.next() {
                var o = row(r["resource"] as String? ?? "(unnamed)", r["status"] as String? ?? "", r["reason"] as String? ?? "")
                if !Check.statuses.contains(o.status) {
                    o.reason = "the check returned status '\(o.status)', not one of \(Check.statuses.joined(separator: ", ")): \(o.reason)"
                    o.status = "error"
                }
                if r.hasColumn("severity"), let s: String = r["severity"], Check.severities.contains(s) { o.severity = s }
                if r.hasColumn("evidence_id"), let e: Int64 = r["evidence_id"] { o.evidence = [e] }
                if o.status == "pass", !doubts.isEmpty {
                    o.status = "error"
                    o.reason += " (not counted as a pass: \(doubts.joined(separator: "; ")))"
                }
                out.append(o)
            }
        } catch let e as DatabaseError {
            return [row("(check)", "error", "the check's SQL failed: \(e.message ?? "\(e)") (\(check.location))")]
        }
        if out.isEmpty {
            let why = doubts.isEmpty ? "" : " (\(doubts.joined(separator: "; ")))"
            out.append(row("(none)", "skip", "nothing to evaluate in capture \(ctx.captureID)\(why)"))
        }
        return out.map { applyExceptions($0, ctx) }
    }

    /// A failure matched by a live exception becomes `skip` with the exception attached;
    /// an expired exception no longer applies and the result says so.
    static func applyExceptions(_ o: CheckOutcome, _ ctx: RunContext) -> CheckOutcome {
        guard o.status == "fail" else { return o }
        let matching = ctx.settings.exceptions.filter { $0.matches(check: o.checkID, resource: o.resource) }
        guard !matching.isEmpty else { return o }
        var o = o
        if let live = matching.filter({ $0.expires >= ctx.now }).max(by: { $0.expires < $1.expires }) {
            o.status = "skip"
            o.reason = "accepted by exception (approver \(live.approver), until \(DateText.day(live.expires))): \(live.reason); finding: \(o.reason)"
            o.exception = live.json(expired: false)
        } else if let last = matching.max(by: { $0.expires < $1.expires }) {
            o.reason += " (exception approved by \(last.approver) expired on \(DateText.day(last.expires)); it no longer applies)"
            o.exception = last.json(expired: true)
        }
        return o
    }
}
