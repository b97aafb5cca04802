import Foundation
import VouchCore

/// What `vouch run` exposes to Prometheus, in the text exposition format (version 0.0.4):
/// as a file for node_exporter's textfile collector, and on `--metrics-listen`.
public struct RunMetrics: Sendable {
    public struct Source: Sendable, Hashable {
        public var source: String
        public var target: String
        public var items: Int
        public var errors: Int
        public var up: Bool
        public var backoffFailures: Int

        public init(source: String, target: String, items: Int, errors: Int, up: Bool, backoffFailures: Int = 0) {
            self.source = source
            self.target = target
            self.items = items
            self.errors = errors
            self.up = up
            self.backoffFailures = backoffFailures
        }
    }

    public var store: String
    public var lastCaptureID: Int64?
    public var lastCaptureTimestamp: Double?
    public var lastCaptureDuration: Double?
    public var lastSuccessTimestamp: Double?
    public var sources: [Source] = []
    /// Failing (fail or error) check results per control in the newest evaluation.
    public var failingChecksPerControl: [String: Int] = [:]
    public var evaluated = false
    public var driftItems: [ItemChange.Change: Int] = [:]
    public var regressions = 0
    public var newFailures = 0
    public var talosDifferences = 0
    public var cyclesTotal = 0
    public var cycleFailuresTotal = 0
    public var alertsSentTotal = 0
    public var alertFailuresTotal = 0
    public var prunedCapturesTotal = 0

    public init(store: String) { self.store = store }

    /// Records a drift result's counts.
    public mutating func record(_ r: DriftResult) {
        driftItems = Dictionary(uniqueKeysWithValues: ItemChange.Change.allCases.map { c in (c, r.items(c).count) })
        regressions = r.regressions.count
        newFailures = r.newFailures.count
        talosDifferences = r.talos.count
        var perControl: [String: Int] = [:]
        for f in r.failing { for c in f.controls { perControl[c, default: 0] += 1 } }
        failingChecksPerControl = perControl
        evaluated = r.to.evaluationID != nil
    }

    public var text: String {
        var out = ""
        let storeLabel = "store=\"\(Self.label(store))\""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, Double)]) {
            guard !samples.isEmpty else { return }
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples {
                out += "\(name){\(storeLabel)\(labels.isEmpty ? "" : "," + labels)} \(Self.number(value))\n"
            }
        }
        metric("vouch_last_capture_id", "gauge", "The id of the newest capture this run took.", lastCaptureID.map { [("", Double($0))] } ?? [])
        metric("vouch_last_capture_timestamp_seconds", "gauge", "When the newest capture started (Unix time).",
               lastCaptureTimestamp.map { [("", $0)] } ?? [])
        metric("vouch_last_capture_duration_seconds", "gauge", "How long the newest capture took.", lastCaptureDuration.map { [("", $0)] } ?? [])
        metric("vouch_last_success_timestamp_seconds", "gauge", "When the newest cycle that landed a capture ended (Unix time).",
               lastSuccessTimestamp.map { [("", $0)] } ?? [])
        let src = sources.sorted { ($0.source, $0.target) < ($1.source, $1.target) }
        func sl(_ s: Source) -> String { "source=\"\(Self.label(s.source))\",target=\"\(Self.label(s.target))\"" }
        metric("vouch_source_items", "gauge", "Evidence items per source in the newest capture.", src.map { (sl($0), Double($0.items)) })
        metric("vouch_source_errors", "gauge", "Error items per source in the newest capture.", src.map { (sl($0), Double($0.errors)) })
        metric("vouch_source_up", "gauge", "1 when the source could be read in the newest capture.", src.map { (sl($0), $0.up ? 1 : 0) })
        metric("vouch_source_consecutive_failures", "gauge", "Captures in a row in which the source failed (back-off).",
               src.map { (sl($0), Double($0.backoffFailures)) })
        metric("vouch_evaluated", "gauge", "1 when the newest capture was evaluated.", [("", evaluated ? 1 : 0)])
        metric("vouch_failing_checks", "gauge", "Failing or erroring check results per control in the newest evaluation.",
               failingChecksPerControl.keys.sorted().map { ("control=\"\(Self.label($0))\"", Double(failingChecksPerControl[$0]!)) })
        metric("vouch_drift_items", "gauge", "Items added, removed or changed since the previous capture.",
               ItemChange.Change.allCases.map { ("change=\"\($0.rawValue)\"", Double(driftItems[$0] ?? 0)) })
        metric("vouch_check_regressions", "gauge", "Check results that went from pass to fail since the previous capture.", [("", Double(regressions))])
        metric("vouch_check_new_failures", "gauge", "Check results failing that did not exist in the previous capture.", [("", Double(newFailures))])
        metric("vouch_talos_declared_running_differences", "gauge", "Talos settings whose running value differs from the declared one.",
               [("", Double(talosDifferences))])
        metric("vouch_cycles_total", "counter", "Capture cycles run.", [("", Double(cyclesTotal))])
        metric("vouch_cycle_failures_total", "counter", "Cycles that could not land a capture.", [("", Double(cycleFailuresTotal))])
        metric("vouch_alerts_sent_total", "counter", "Alerts delivered.", [("", Double(alertsSentTotal))])
        metric("vouch_alert_failures_total", "counter", "Alerts that could not be delivered after all retries.", [("", Double(alertFailuresTotal))])
        metric("vouch_pruned_captures_total", "counter", "Captures removed by the retention policy.", [("", Double(prunedCapturesTotal))])
        return out
    }

    /// Writes the text to `path` atomically (a temporary file in the same folder, then rename),
    /// so the textfile collector never reads half a file.
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        try Data(text.utf8).write(to: tmp)
        guard rename(tmp.path, url.path) == 0 else {
            let why = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot replace \(path): \(why)"])
        }
    }

    /// Label values escape backslash, double quote and line feed.
    static func label(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.3f", v)
    }
}
