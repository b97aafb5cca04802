import Foundation
import VouchCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What an alert is about: the more serious one wins.
public enum AlertEvent: String, Sendable, CaseIterable {
    /// Check results got worse (pass → fail, or new failures).
    case regressions
    /// Items or Talos settings changed (or check statuses changed otherwise).
    case drift

    /// The event a drift result raises, among those enabled.
    public static func of(_ r: DriftResult, enabled: Set<AlertEvent>) -> AlertEvent? {
        if enabled.contains(.regressions), !r.regressions.isEmpty || !r.newFailures.isEmpty { return .regressions }
        if enabled.contains(.drift), r.hasChanges { return .drift }
        return nil
    }
}

/// The alert bodies: a plain JSON webhook payload, and the Alertmanager v2 `postableAlerts` form.
public enum AlertPayload {
    /// At most this many items and check changes are listed (the counts are always whole).
    public static let listLimit = 100

    public static func webhook(_ r: DriftResult, event: AlertEvent, host: String, store: String) -> JSONValue {
        let worse = r.checks.filter { $0.kind == .regression || $0.kind == .newFailure }
        return [
            "version": "1",
            "tool": "vouch",
            "tool_version": .string(VouchVersion.current),
            "event": .string(event.rawValue),
            "host": .string(host),
            "store": .string(store),
            "summary": .string(headline(r, event: event, host: host)),
            "from": r.from.map(DriftJSON.capture) ?? .null,
            "to": DriftJSON.capture(r.to),
            "counts": DriftJSON.summary(r),
            "regressions": .array(worse.prefix(listLimit).map(DriftJSON.transition)),
            "fixes": .array(r.fixes.prefix(listLimit).map(DriftJSON.transition)),
            "controls": .array(r.controls.filter(\.statusChanged).map(DriftJSON.control)),
            "items": .array(r.items.prefix(listLimit).map { i in
                ["change": .string(i.change.rawValue), "kind": .string(i.kind), "subject": .string(i.subject),
                 "fields": .array(i.fields.prefix(20).map { .string($0.path) })]
            }),
            "talos": .array(r.talos.prefix(listLimit).map(DriftJSON.talos)),
            "truncated": .bool(worse.count > listLimit || r.items.count > listLimit || r.talos.count > listLimit),
        ]
    }

    /// One alert per regression or new failure (labels: check and resource), plus one for drift.
    public static func alertmanager(_ r: DriftResult, event: AlertEvent, host: String, store: String, now: Date) -> JSONValue {
        var alerts: [JSONValue] = []
        let startsAt = Timestamp.string(now)
        for t in r.checks where t.kind == .regression || t.kind == .newFailure {
            alerts.append([
                "labels": [
                    "alertname": "VouchCheckRegression", "severity": .string(t.severity ?? "warning"), "host": .string(host),
                    "store": .string(store), "check_id": .string(t.checkID), "resource": .string(t.resource),
                    "controls": .string(t.controls.joined(separator: ",")),
                ],
                "annotations": [
                    "summary": .string("\(t.checkID) \(t.resource): \(t.oldStatus ?? "none") → \(t.newStatus ?? "none")"),
                    "description": .string(t.reason),
                    "capture": .string(String(r.to.id)),
                ],
                "startsAt": .string(startsAt),
            ])
        }
        if r.hasChanges, event == .drift || !r.items.isEmpty || !r.talos.isEmpty {
            alerts.append([
                "labels": ["alertname": "VouchDrift", "severity": "info", "host": .string(host), "store": .string(store)],
                "annotations": [
                    "summary": .string(headline(r, event: .drift, host: host)),
                    "description": .string(DriftText.itemSummary(r) + "; Talos declared ≠ running: \(r.talos.count)"),
                    "capture": .string(String(r.to.id)),
                ],
                "startsAt": .string(startsAt),
            ])
        }
        return .array(alerts)
    }

    static func headline(_ r: DriftResult, event: AlertEvent, host: String) -> String {
        let span = r.from.map { "capture \($0.id) → \(r.to.id)" } ?? "capture \(r.to.id)"
        switch event {
        case .regressions:
            return "vouch on \(host): \(r.regressions.count) regression(s), \(r.newFailures.count) new failure(s) (\(span))"
        case .drift:
            return "vouch on \(host): drift, items \(DriftText.itemSummary(r)), \(r.talos.count) Talos difference(s) (\(span))"
        }
    }
}

/// Delivers alert bodies by HTTP POST, retrying with exponential back-off.
public struct AlertSender: Sendable {
    public struct Delivery: Sendable {
        public var url: String
        public var delivered: Bool
        public var attempts: Int
        public var lastError: String?
    }

    public var retries: Int
    public var backoff: TimeInterval
    public var timeout: TimeInterval

    public init(retries: Int = 3, backoff: TimeInterval = 1, timeout: TimeInterval = 10) {
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
    }

    /// POSTs `body` as JSON; 2xx is delivered; 4xx other than 408/429 is not retried.
    public func post(_ body: JSONValue, to url: URL) async -> Delivery {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("vouch/\(VouchVersion.current)", forHTTPHeaderField: "User-Agent")
        request.httpBody = body.canonicalData
        var attempt = 0
        var lastError: String?
        while attempt <= retries {
            if attempt > 0 {
                try? await Task.sleep(nanoseconds: UInt64(backoff * pow(2, Double(attempt - 1)) * 1e9))
            }
            attempt += 1
            do {
                let (data, response) = try await URLSession.shared.data(for: request)
                let code = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(code) { return Delivery(url: url.absoluteString, delivered: true, attempts: attempt) }
                lastError = "HTTP \(code): " + String(decoding: data.prefix(200), as: UTF8.self)
                if (400..<500).contains(code), code != 408, code != 429 { break }
            } catch {
                lastError = error.localizedDescription
            }
        }
        return Delivery(url: url.absoluteString, delivered: false, attempts: attempt, lastError: lastError)
    }
}
