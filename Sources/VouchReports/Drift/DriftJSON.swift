import Foundation
import VouchCore

/// The JSON form of a drift result: canonical (sorted keys), so the same store gives the same bytes.
/// A side that is absent has no `old`/`new` key (JSON null is a value a field can hold).
public enum DriftJSON {
    public static func document(_ r: DriftResult) -> JSONValue {
        var o: [String: JSONValue] = [
            "version": "1",
            "changed": .bool(r.hasChanges),
            "from": r.from.map(capture) ?? .null,
            "to": capture(r.to),
            "summary": summary(r),
            "items": .array(r.items.map(item)),
            "checks": .array(r.checks.map(transition)),
            "controls": .array(r.controls.map(control)),
            "talos": .array(r.talos.map(talos)),
            "failing": .array(r.failing.map(state)),
        ]
        o["notes"] = .array(r.notes.map { .string($0) })
        return .object(o)
    }

    public static func summary(_ r: DriftResult) -> JSONValue {
        [
            "items_added": .int(Int64(r.items(.added).count)),
            "items_removed": .int(Int64(r.items(.removed).count)),
            "items_changed": .int(Int64(r.items(.changed).count)),
            "regressions": .int(Int64(r.regressions.count)),
            "new_failures": .int(Int64(r.newFailures.count)),
            "fixes": .int(Int64(r.fixes.count)),
            "check_changes": .int(Int64(r.checks.count)),
            "controls_changed": .int(Int64(r.controls.filter(\.statusChanged).count)),
            "talos_differences": .int(Int64(r.talos.count)),
            "failing": .int(Int64(r.failing.count)),
        ]
    }

    public static func capture(_ c: CaptureRef) -> JSONValue {
        var o: [String: JSONValue] = ["id": .int(c.id), "started_at": .string(c.startedAt), "seal": .string(c.seal)]
        if let s = c.store { o["store"] = .string(s) }
        if let e = c.evaluationID { o["evaluation_id"] = .int(e) }
        return .object(o)
    }

    public static func item(_ i: ItemChange) -> JSONValue {
        var o: [String: JSONValue] = [
            "change": .string(i.change.rawValue), "kind": .string(i.kind), "subject": .string(i.subject),
            "source": .string(i.source), "target": .string(i.target), "origin": .string(i.origin),
        ]
        if i.change == .changed { o["fields"] = .array(i.fields.map(field)) }
        return .object(o)
    }

    public static func field(_ f: FieldChange) -> JSONValue {
        var o: [String: JSONValue] = ["path": .string(f.path)]
        if let v = f.old { o["old"] = v }
        if let v = f.new { o["new"] = v }
        return .object(o)
    }

    public static func transition(_ t: CheckTransition) -> JSONValue {
        var o: [String: JSONValue] = [
            "kind": .string(t.kind.rawValue), "check_id": .string(t.checkID), "resource": .string(t.resource),
            "reason": .string(t.reason), "controls": .array(t.controls.map { .string($0) }),
        ]
        if let s = t.oldStatus { o["old_status"] = .string(s) }
        if let s = t.newStatus { o["new_status"] = .string(s) }
        if let s = t.severity { o["severity"] = .string(s) }
        return .object(o)
    }

    public static func control(_ c: ControlChange) -> JSONValue {
        var o: [String: JSONValue] = [
            "control_id": .string(c.controlID), "title": .string(c.title), "status_changed": .bool(c.statusChanged),
            "checks": .array(c.checks.map { .string($0) }),
        ]
        if let s = c.oldStatus { o["old_status"] = .string(s) }
        if let s = c.newStatus { o["new_status"] = .string(s) }
        return .object(o)
    }

    public static func talos(_ d: TalosDivergence) -> JSONValue {
        var o: [String: JSONValue] = [
            "node": .string(d.node), "document": .string(d.document), "path": .string(d.path),
            "declared_origin": .string(d.declaredOrigin), "running_origin": .string(d.runningOrigin),
        ]
        if let v = d.declared { o["declared"] = v }
        if let v = d.running { o["running"] = v }
        return .object(o)
    }

    public static func state(_ s: CheckState) -> JSONValue {
        var o: [String: JSONValue] = [
            "check_id": .string(s.checkID), "resource": .string(s.resource), "status": .string(s.status),
            "reason": .string(s.reason), "controls": .array(s.controls.map { .string($0) }),
        ]
        if let v = s.severity { o["severity"] = .string(v) }
        return .object(o)
    }
}
