import Foundation
import GRDB

/// One evaluation's results as drift reads them (the engine tables `check_result`, `control_result`).
struct EvaluationSnapshot {
    struct Result {
        var status: String
        var reason: String
        var severity: String?
    }
    struct Control {
        var title: String
        var status: String
        var checks: [String]
    }
    var evaluationID: Int64
    /// By check id, then resource.
    var results: [String: [String: Result]] = [:]
    var controls: [String: Control] = [:]

    /// The newest evaluation of a capture, if it was evaluated (and the engine tables exist).
    static func newestEvaluation(_ db: Database, captureID: Int64) throws -> Int64? {
        guard try db.tableExists("evaluation") else { return nil }
        return try Int64.fetchOne(db, sql: "SELECT max(id) FROM evaluation WHERE capture_id = ?", arguments: [captureID])
    }

    static func load(_ db: Database, evaluationID: Int64) throws -> EvaluationSnapshot {
        var s = EvaluationSnapshot(evaluationID: evaluationID)
        let rows = try Row.fetchCursor(db, sql: """
            SELECT check_id, resource, status, reason, severity FROM check_result WHERE evaluation_id = ? ORDER BY id
            """, arguments: [evaluationID])
        while let r = try rows.next() {
            s.results[r[0], default: [:]][r[1]] = Result(status: r[2], reason: r[3], severity: r[4])
        }
        let controls = try Row.fetchCursor(db, sql: """
            SELECT control_id, title, status, checks FROM control_result WHERE evaluation_id = ?
            """, arguments: [evaluationID])
        while let r = try controls.next() {
            let list = (try? JSONValue.parse(r[3] as String))?.arrayValue?.compactMap(\.stringValue) ?? []
            s.controls[r[0]] = Control(title: r[1], status: r[2], checks: list)
        }
        return s
    }

    /// Control ids listing each check.
    var controlsByCheck: [String: [String]] {
        var out: [String: [String]] = [:]
        for (id, c) in controls { for check in c.checks { out[check, default: []].append(id) } }
        return out.mapValues { $0.sorted(by: ControlOrder.less) }
    }
}

/// Status transitions of check results and the controls they touch.
enum CheckDrift {
    static func isFailing(_ status: String?) -> Bool { status == "fail" || status == "error" }

    static func compare(old: EvaluationSnapshot, new: EvaluationSnapshot) -> (checks: [CheckTransition], controls: [ControlChange]) {
        let byCheck = new.controlsByCheck.merging(old.controlsByCheck) { a, _ in a }
        var transitions: [CheckTransition] = []
        for checkID in Set(old.results.keys).union(new.results.keys) {
            let a = old.results[checkID] ?? [:], b = new.results[checkID] ?? [:]
            for resource in Set(a.keys).union(b.keys) {
                let o = a[resource], n = b[resource]
                guard o?.status != n?.status else { continue }
                let kind: CheckTransition.Kind
                if o?.status == "pass", isFailing(n?.status) { kind = .regression }
                else if isFailing(o?.status), n?.status == "pass" { kind = .fix }
                else if o == nil, isFailing(n?.status) { kind = .newFailure }
                else if o == nil || (n == nil && !isFailing(o?.status)) { continue }  // new passing/skipped results, vanished non-failures
                else { kind = .changed }
                transitions.append(CheckTransition(kind: kind, checkID: checkID, resource: resource, oldStatus: o?.status,
                                                   newStatus: n?.status, reason: (n ?? o)!.reason, severity: (n ?? o)?.severity,
                                                   controls: byCheck[checkID] ?? []))
            }
        }
        transitions.sort { ($0.checkID, $0.resource) < ($1.checkID, $1.resource) }
        let touched = Set(transitions.flatMap(\.controls))
        var controls: [ControlChange] = []
        for id in Set(old.controls.keys).union(new.controls.keys) {
            let o = old.controls[id], n = new.controls[id]
            guard touched.contains(id) || o?.status != n?.status else { continue }
            let checks = Set(transitions.filter { $0.controls.contains(id) }.map(\.checkID)).sorted()
            controls.append(ControlChange(controlID: id, title: (n ?? o)!.title, oldStatus: o?.status, newStatus: n?.status, checks: checks))
        }
        controls.sort { ControlOrder.less($0.controlID, $1.controlID) }
        return (transitions, controls)
    }

    /// Failing results of an evaluation, by check and resource.
    static func failing(_ s: EvaluationSnapshot) -> [CheckState] {
        let byCheck = s.controlsByCheck
        var out: [CheckState] = []
        for (checkID, results) in s.results {
            for (resource, r) in results where isFailing(r.status) {
                out.append(CheckState(checkID: checkID, resource: resource, status: r.status, reason: r.reason,
                                      severity: r.severity, controls: byCheck[checkID] ?? []))
            }
        }
        return out.sorted { ($0.checkID, $0.resource) < ($1.checkID, $1.resource) }
    }
}

/// Annex A ids in their natural order: A.5.2 before A.5.10.
enum ControlOrder {
    static func less(_ a: String, _ b: String) -> Bool {
        let x = parts(a), y = parts(b)
        if x != y { return x.lexicographicallyPrecedes(y) }
        return a < b
    }

    private static func parts(_ s: String) -> [Int] {
        s.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
    }
}
