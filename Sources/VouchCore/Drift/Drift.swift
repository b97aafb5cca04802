import Foundation
import GRDB

/// Options of a drift comparison.
public struct DriftOptions: Sendable {
    /// Fields to leave out (e.g. `file:$.mtime` where checkouts reset file times).
    public var ignore: [DriftIgnore]
    /// Compare declared vs running Talos inside the newer capture.
    public var talos: Bool

    public init(ignore: [DriftIgnore] = [], talos: Bool = true) {
        self.ignore = ignore
        self.talos = talos
    }
}

/// Computes drift: capture vs capture (also across two stores, for a CI baseline), and
/// declared vs running Talos inside the newer capture. Reads the store only.
public enum Drift {
    /// Compares `to` against `from` (nil: nothing to compare against; only the newer
    /// capture's Talos divergences and failing checks are reported).
    public static func compare(from: (store: EvidenceStore, capture: Int64)?, to: (store: EvidenceStore, capture: Int64),
                               options: DriftOptions = DriftOptions()) throws -> DriftResult {
        try to.store.pool.read { newDB in
            guard let from else { return try compare(nil, newDB, to.capture, sameStore: false, options) }
            if from.store === to.store || from.store.path == to.store.path {
                return try compare((newDB, from.capture, nil), newDB, to.capture, sameStore: true, options)
            }
            return try from.store.pool.read { oldDB in
                try compare((oldDB, from.capture, from.store.path), newDB, to.capture, sameStore: false, options)
            }
        }
    }

    /// The newest capture before `id` in a store (pruned ones are gone), if any.
    public static func previousCapture(_ store: EvidenceStore, before id: Int64) throws -> Int64? {
        try store.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT max(id) FROM capture WHERE id < ?", arguments: [id])
        }
    }

    static func reference(_ db: Database, _ id: Int64, store: String?) throws -> CaptureRef {
        guard let row = try Row.fetchOne(db, sql: "SELECT started_at, seal FROM capture WHERE id = ?", arguments: [id]) else {
            throw StoreError.noSuchCapture(id)
        }
        return CaptureRef(id: id, startedAt: row[0], seal: row[1], store: store,
                          evaluationID: try EvaluationSnapshot.newestEvaluation(db, captureID: id))
    }

    private static func compare(_ old: (db: Database, capture: Int64, store: String?)?, _ newDB: Database, _ newCapture: Int64,
                                sameStore: Bool, _ options: DriftOptions) throws -> DriftResult {
        let toRef = try reference(newDB, newCapture, store: nil)
        var report = DriftResult(from: nil, to: toRef)
        let newEval = try toRef.evaluationID.map { try EvaluationSnapshot.load(newDB, evaluationID: $0) }
        if let old {
            let fromRef = try reference(old.db, old.capture, store: old.store)
            report.from = fromRef
            report.items = try ItemDrift.compare(old: old.db, oldCapture: old.capture, new: newDB, newCapture: newCapture,
                                                 sameStore: sameStore, ignore: options.ignore)
            let oldEval = try fromRef.evaluationID.map { try EvaluationSnapshot.load(old.db, evaluationID: $0) }
            if let oldEval, let newEval {
                (report.checks, report.controls) = CheckDrift.compare(old: oldEval, new: newEval)
            } else {
                for (ref, e) in [(fromRef, oldEval), (toRef, newEval)] where e == nil {
                    report.notes.append("capture \(ref.id) was not evaluated, so check results were not compared; run `vouch evaluate --capture \(ref.id)`\(ref.store.map { " --store \($0)" } ?? "")")
                }
            }
        }
        if let newEval { report.failing = CheckDrift.failing(newEval) }
        if options.talos { report.talos = try TalosDrift.compare(newDB, captureID: newCapture) }
        return report
    }
}

/// Errors of drift and CI: what failed and what to do.
public enum DriftError: Error, LocalizedError, Sendable {
    case badIgnore(String)
    case liveSourceInCI(String)
    case badDuration(String)
    case locked(path: String, holder: String)
    case cannotWrite(path: String, reason: String)
    case sourcesFailed([String])

    public var errorDescription: String? {
        switch self {
        case .badIgnore(let s):
            return "'\(s)' is not a field to ignore: write a JSON path such as '$.mtime', or KIND:PATH such as 'file:$.mtime' (also origin, status, blob_sha256)."
        case .liveSourceInCI(let s):
            return "\(s) reads a live system, which `vouch ci` refuses (a pipeline checks repository files only); run it with `vouch collect` or `vouch run` on the host."
        case .badDuration(let s):
            return "'\(s)' is not a duration: write e.g. 30s, 5m, 1h, 1h30m or 7d."
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason); check the folder and its permissions."
        case .sourcesFailed(let sources):
            return "source(s) \(sources.joined(separator: ", ")) could not be read (see the error items above), so the pipeline cannot vouch for them; fix the path or the input and run again."
        case .locked(let path, let holder):
            return "another vouch run holds \(path)\(holder.isEmpty ? "" : " (\(holder))"); runs on one store never overlap: stop it first, or use another --store."
        }
    }
}
