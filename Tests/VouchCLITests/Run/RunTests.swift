import Foundation
import Testing
import VouchTestSupport

@Suite struct RunTests {
    @Test func threeCyclesCaptureChainMetricsAndOneRegressionAlert() throws {
        let estate = try RunFixtures.estate()
        let work = try TestSupport.makeTempDir("vouch-run")
        let store = work.appendingPathComponent("v.db")
        let metrics = work.appendingPathComponent("vouch.prom")
        let receiver = try HTTPReceiver()
        defer { receiver.stop() }
        let k8s = estate.appendingPathComponent("k8s")
        let run = try BackgroundVouch([
            "run", "--every", "1s", "--cycles", "3", "--store", store.path, "--source", "netpol=\(k8s.path)",
            "--metrics-file", metrics.path, "--webhook", receiver.url + "/hook", "--alert-backoff", "100ms",
        ])
        // After the first capture a broken manifest lands in the repository: cycle 2 regresses
        // (store.sources-clean goes pass → fail), cycle 3 sees no further change.
        #expect(run.waitForOutput("cycle 1: capture 1 sealed"), "stdout: \(run.stdout) stderr: \(run.stderr)")
        let firstMetrics = try String(contentsOf: metrics, encoding: .utf8)
        #expect(RunFixtures.metric(firstMetrics, "vouch_last_capture_id") == 1)
        try TestSupport.write("apiVersion: networking.k8s.io/v1\nkind: [broken\n", to: k8s.appendingPathComponent("broken.yaml"))
        let status = run.wait(timeout: 60)
        #expect(status == 0, "stdout: \(run.stdout) stderr: \(run.stderr)")
        #expect(try RunFixtures.scalar(store, "SELECT count(*) FROM capture") == "3")
        #expect(try RunFixtures.scalar(store, "SELECT count(DISTINCT capture_id) FROM evaluation") == "3", "every capture was evaluated")
        let verify = try TestSupport.vouch(["verify", "--store", store.path])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        let text = try String(contentsOf: metrics, encoding: .utf8)
        #expect(RunFixtures.metric(text, "vouch_last_capture_id") == 3)
        #expect(RunFixtures.metric(text, "vouch_cycles_total") == 3)
        #expect(RunFixtures.metric(text, "vouch_source_errors") == 1)
        #expect(RunFixtures.metric(text, "vouch_last_capture_duration_seconds") != nil)
        #expect(RunFixtures.metric(text, "vouch_evaluated") == 1)
        #expect(RunFixtures.metric(text, "vouch_alerts_sent_total") == 1)
        #expect(text.contains("vouch_failing_checks{"), "failing checks per control: \(text)")
        // Exactly one alert: the regression of cycle 2.
        let got = receiver.wait(for: 1, timeout: 2)
        #expect(got.count == 1, "alerts: \(got.map { String(decoding: $0.body, as: UTF8.self) })")
        guard let alert = got.first else { return }
        let body = try JSONSerialization.jsonObject(with: alert.body) as? [String: Any]
        #expect(body?["event"] as? String == "regressions")
        #expect((body?["to"] as? [String: Any])?["id"] as? Int == 2 && (body?["from"] as? [String: Any])?["id"] as? Int == 1)
        let regressions = body?["regressions"] as? [[String: Any]] ?? []
        #expect(regressions.contains { $0["check_id"] as? String == "store.sources-clean" && $0["old_status"] as? String == "pass"
                                       && $0["new_status"] as? String == "fail" }, "\(regressions)")
        let items = body?["items"] as? [[String: Any]] ?? []
        #expect(items.map { "\($0["change"]!) \($0["subject"]!)" } == ["added broken.yaml"])
        #expect(alert.headers["content-type"] == "application/json")
    }

    @Test func sigtermDuringACaptureLeavesNoPartialCapture() throws {
        // Enough files that the capture is still running when the signal arrives.
        let estate = try TestSupport.makeTempDir("vouch-run-big")
        let blob = String(repeating: "x", count: 4096)
        for i in 0..<1500 { try TestSupport.write("\(i) \(blob)", to: estate.appendingPathComponent("d\(i % 30)/f\(i).conf")) }
        for signals in [1, 2] {
            let store = try TestSupport.makeTempDir("vouch-run-term").appendingPathComponent("v.db")
            let run = try BackgroundVouch(["run", "--every", "1h", "--store", store.path, "--source", "files=\(estate.path)"])
            #expect(run.waitForOutput("cycle 1: collecting"))
            usleep(150_000)
            for _ in 0..<signals { run.signal(SIGTERM); usleep(20_000) }
            let status = run.wait(timeout: 120)
            // One signal: the capture finishes and lands whole, then the run exits 0.
            // Two: the capture is abandoned; SQLite rolls its transaction back.
            #expect(signals == 1 ? status == 0 : (status == 143 || status == 0), "status \(status), stderr: \(run.stderr)")
            let captures = try RunFixtures.scalar(store, "SELECT count(*) FROM capture")
            #expect(signals == 2 || captures == "1", "a graceful stop lands the capture in progress")
            #expect(["0", "1"].contains(captures))
            #expect(try RunFixtures.scalar(store, """
                SELECT count(*) FROM capture c WHERE c.seal LIKE 'pending:%' OR c.item_count < 1500
                   OR c.item_count <> (SELECT count(*) FROM evidence e WHERE e.capture_id = c.id)
                """) == "0", "every capture present is whole")
            #expect(try RunFixtures.scalar(store, "SELECT count(*) FROM capture_source WHERE capture_id NOT IN (SELECT id FROM capture)") == "0")
            #expect(try TestSupport.vouch(["verify", "--store", store.path]).status == 0)
        }
    }

    @Test func oneRunPerStoreAndAPromptStopWhileWaiting() throws {
        let estate = try RunFixtures.estate()
        let store = try TestSupport.makeTempDir("vouch-run-lock").appendingPathComponent("v.db")
        let first = try BackgroundVouch(["run", "--every", "1h", "--store", store.path, "--source", "files=\(estate.path)"])
        #expect(first.waitForOutput("cycle 1: capture 1 sealed"))
        let second = try TestSupport.vouch(["run", "--once", "--store", store.path, "--source", "files=\(estate.path)"])
        #expect(second.status == 2)
        #expect(second.stderr.contains("v.db.lock") && second.stderr.contains("pid \(first.process.processIdentifier)"), "\(second.stderr)")
        let t0 = Date()
        first.signal(SIGINT)
        #expect(first.wait(timeout: 20) == 0)
        #expect(Date().timeIntervalSince(t0) < 5, "a run waiting for its next cycle stops at once")
        #expect(first.stdout.contains("stopped by signal after 1 cycle(s)"))
        // The lock went with the process: a new run may start.
        let again = try TestSupport.vouch(["run", "--once", "--store", store.path, "--source", "files=\(estate.path)"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try RunFixtures.scalar(store, "SELECT count(*) FROM capture") == "2")
    }

    @Test func pruningByPolicyKeepsTheChainVerifiable() throws {
        let estate = try RunFixtures.estate()
        let store = try TestSupport.makeTempDir("vouch-run-prune").appendingPathComponent("v.db")
        for i in 0..<4 {
            try TestSupport.write("generation \(i)\n", to: estate.appendingPathComponent("etc/generation"))
            let r = try TestSupport.vouch(["run", "--once", "--keep", "2", "--store", store.path, "--source", "files=\(estate.path)"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try RunFixtures.scalar(store, "SELECT group_concat(id) FROM (SELECT id FROM capture ORDER BY id)") == "3,4")
        #expect(try RunFixtures.scalar(store, "SELECT group_concat(id) FROM (SELECT id FROM capture_pruned ORDER BY id)") == "1,2")
        let verify = try TestSupport.vouch(["verify", "--store", store.path])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(try RunFixtures.scalar(store, "SELECT count(*) FROM item WHERE subject = 'etc/generation'") == "2",
                "items only pruned captures held are gone")
    }

    @Test func aFailingSourceBacksOff() throws {
        let store = try TestSupport.makeTempDir("vouch-run-backoff").appendingPathComponent("v.db")
        let missing = store.deletingLastPathComponent().appendingPathComponent("no-such-folder").path
        let r = try TestSupport.vouch(["run", "--every", "200ms", "--cycles", "4", "--no-evaluate", "--store", store.path,
                                       "--source", "files=\(missing)"])
        #expect(r.status == 0, "\(r.stderr)")
        // Failures in cycles 1 and 2; cycle 3 is skipped (recorded as an error item saying so); cycle 4 tries again.
        #expect(r.stdout.contains("cycle 3: capture 3 sealed, 1 items, 1 errors") && r.stdout.contains("backing off: files=\(missing)"), "\(r.stdout)")
        let errors = try RunFixtures.scalar(store, """
            SELECT group_concat(CASE WHEN json_extract(data, '$.error') LIKE '%not retried%' THEN 'skipped' ELSE 'tried' END, ',')
            FROM (SELECT data FROM evidence ORDER BY capture_id)
            """)
        #expect(errors == "tried,tried,skipped,tried")
    }

    @Test func usageErrors() throws {
        #expect(try TestSupport.vouch(["run", "--source", "files=."]).status == 2)
        #expect(try TestSupport.vouch(["run", "--every", "1 hour", "--source", "files=."]).status == 2)
        #expect(try TestSupport.vouch(["run", "--once", "--webhook", "ftp://x", "--source", "files=."]).status == 2)
        #expect(try TestSupport.vouch(["run", "--once", "--metrics-listen", "localhost", "--source", "files=."]).status == 2)
    }
}
