import Foundation
import Testing
import VouchCore
import VouchTestSupport
@testable import VouchReports
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite struct RunMetricsTests {
    func sampleMetrics() -> RunMetrics {
        var m = RunMetrics(store: "/var/lib/vouch/vouch.db")
        m.lastCaptureID = 7
        m.lastCaptureTimestamp = 1_795_600_000.25
        m.lastCaptureDuration = 1.5
        m.sources = [RunMetrics.Source(source: "files", target: "/etc \"quoted\"\\", items: 12, errors: 1, up: true)]
        m.record(DriftSample.result)
        m.cyclesTotal = 3
        return m
    }

    @Test func textFormatIsAcceptedByPromtool() throws {
        let text = sampleMetrics().text
        #expect(text.contains("vouch_failing_checks{store=\"/var/lib/vouch/vouch.db\",control=\"A.8.2\"} 1"))
        #expect(text.contains("vouch_drift_items{store=\"/var/lib/vouch/vouch.db\",change=\"changed\"} 1"))
        #expect(text.contains("target=\"/etc \\\"quoted\\\"\\\\\""))
        #expect(text.contains("vouch_last_capture_timestamp_seconds{store=\"/var/lib/vouch/vouch.db\"} 1795600000.250"))
        guard let promtool = TestSupport.which("promtool") else { TestSupport.skip("promtool is not installed"); return }
        let dir = try TestSupport.makeTempDir("vouch-metrics")
        let file = dir.appendingPathComponent("vouch.prom")
        try sampleMetrics().write(to: file.path)
        let check = try TestSupport.run("/bin/sh", ["-c", "\(promtool) check metrics < '\(file.path)'"])
        #expect(check.status == 0, "promtool: \(check.stdout) \(check.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["vouch.prom"], "no temporary file is left behind")
    }

    @Test func metricsEndpointServesTheCurrentText() async throws {
        let server = try MetricsServer(address: "127.0.0.1:0") { "vouch_up 1\n" }
        try server.start()
        #expect(server.port != 0)
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(server.port)/metrics")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self) == "vouch_up 1\n")
        let (_, missing) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(server.port)/other")!)
        #expect((missing as? HTTPURLResponse)?.statusCode == 404)
        #expect(throws: MetricsServerError.self) { try MetricsServer.parseAddress("localhost") }
        let v6 = try MetricsServer.parseAddress("[::1]:9817")
        #expect(v6.host == "::1" && v6.port == 9817)
    }

    @Test func alertsRetryWithBackoffAndStopOnClientErrors() async throws {
        let receiver = try HTTPReceiver(statuses: [500, 503])
        defer { receiver.stop() }
        let sender = AlertSender(retries: 3, backoff: 0.05)
        let body = AlertPayload.webhook(DriftSample.result, event: .regressions, host: "node1", store: "/s.db")
        let d = await sender.post(body, to: URL(string: receiver.url + "/hook")!)
        #expect(d.delivered && d.attempts == 3)
        let got = receiver.requests
        #expect(got.count == 3 && got.allSatisfy { $0.method == "POST" && $0.path == "/hook" })
        let payload = try JSONValue.parse(got[2].body)
        #expect(payload["event"] == "regressions")
        #expect(payload["regressions"]?.arrayValue?.count == 2)
        let refusing = try HTTPReceiver(statuses: [400])
        defer { refusing.stop() }
        let no = await sender.post(body, to: URL(string: refusing.url)!)
        #expect(!no.delivered && no.attempts == 1, "a 400 is not retried")
        // The Alertmanager form: one alert per regression or new failure, plus one for drift.
        let am = AlertPayload.alertmanager(DriftSample.result, event: .regressions, host: "node1", store: "/s.db", now: Date())
        #expect(am.arrayValue?.map { $0["labels"]?["alertname"]?.stringValue ?? "" } == ["VouchCheckRegression", "VouchCheckRegression", "VouchDrift"])
        #expect(AlertEvent.of(DriftSample.result, enabled: [.drift]) == .drift)
        #expect(AlertEvent.of(DriftResult(from: nil, to: DriftSample.result.to), enabled: [.drift, .regressions]) == nil)
    }
}
