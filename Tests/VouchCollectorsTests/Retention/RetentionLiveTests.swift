import Foundation
import GRDB
import Testing
import VouchCore
import VouchTestSupport
@testable import VouchCollectors

/// A real Prometheus on 127.0.0.1, read over HTTP; and the shared retention corpus.
@Suite struct RetentionLiveTests {
    /// A port nobody listens on right now (bound to 0, then released).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw PlainHTTP.Failure.connect("127.0.0.1:0", "cannot bind a probe socket") }
        return UInt16(bigEndian: addr.sin_port)
    }

    @Test func livePrometheusWith400DaysIsReadOverHTTP() throws {
        let binary = "/usr/bin/prometheus"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            TestSupport.skip("\(binary) is absent: install the Debian package `prometheus` (make setup)")
            return
        }
        let dir = try TestSupport.makeTempDir("vouch-prometheus")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestSupport.write("global: {scrape_interval: 1m}\nscrape_configs: []\n", to: dir.appendingPathComponent("prometheus.yml"))
        let port = try Self.freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(dir.path)/data",
                       "--web.listen-address=127.0.0.1:\(port)", "--storage.tsdb.retention.time=400d"]
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("log").path, contents: nil)
        let log = try FileHandle(forWritingTo: dir.appendingPathComponent("log"))
        p.standardOutput = log
        p.standardError = log
        try p.run()
        let pid = p.processIdentifier
        defer {
            // Always stop it by its pid, even when an expectation failed.
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while p.isRunning, Date() < deadline { usleep(50_000) }
            if p.isRunning { kill(pid, SIGKILL) }
            p.waitUntilExit()
            try? log.close()
        }
        var ready = false
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, p.isRunning {
            if let r = try? PlainHTTP.get(host: "127.0.0.1", port: port, path: "/-/ready", timeout: 2), r.status == 200 { ready = true; break }
            usleep(100_000)
        }
        let logText = (try? String(contentsOf: dir.appendingPathComponent("log"), encoding: .utf8)) ?? ""
        try #require(ready, "Prometheus did not become ready on 127.0.0.1:\(port): \(logText.suffix(2000))")

        let h = try CollectHarness(source: "retention", target: "http://127.0.0.1:\(port)")
        #expect(try h.errors() == [])
        let rows = try h.rows("SELECT * FROM retention_setting")
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row["system"] as String == "prometheus")
        #expect(row["component"] as String == "tsdb")
        #expect(row["instance"] as String == "127.0.0.1:\(port)")
        #expect(row["duration_seconds"] as Int64 == 400 * 86_400)
        #expect(row["unlimited"] as Int64 == 0)
        #expect(row["is_default"] as Int64 == 0)
        #expect((row["origin"] as String).hasPrefix("http://127.0.0.1:\(port)/api/v1/status/"))
        // The three status answers are kept as evidence with their blobs.
        let kinds = try h.rows("SELECT kind FROM evidence WHERE blob_sha256 IS NOT NULL ORDER BY kind").map { $0["kind"] as String }
        #expect(kinds.contains("retention.prometheus.flags"))
        #expect(kinds.contains("retention.prometheus.config"))
        #expect(kinds.contains("retention.prometheus.runtimeinfo"))
    }

    @Test func unreachablePrometheusFailsTheSourceWithTheURL() throws {
        let port = try Self.freePort()
        let h = try CollectHarness(source: "retention", target: "http://127.0.0.1:\(port)")
        #expect(h.outcome.sources.first?.status == "error")
        #expect(h.outcome.sources.first?.message?.contains("127.0.0.1:\(port)") == true)
    }

    @Test func everySharedCorpusFileCollectsOrGivesAClearError() throws {
        guard let shared = CollectHarness.sharedDirectory else {
            TestSupport.skip("../shared is absent (a user's clone): the retention corpus cannot be read")
            return
        }
        for dir in ["corpora/prometheus-thanos", "corpora/formats-samples/prometheus"] {
            let root = shared.appendingPathComponent(dir)
            let h = try CollectHarness(source: "retention", target: root.path)
            #expect(h.outcome.sources.first?.status != "error", "\(dir): \(h.outcome.sources.first?.message ?? "")")
            for e in try h.errors() {
                #expect(e.range(of: #"^[^:]+:\d+: "#, options: .regularExpression) != nil, "\(e)")
            }
            let seen = Set(try h.rows("SELECT subject FROM evidence").map { $0["subject"] as String })
            for f in try FileManager.default.subpathsOfDirectory(atPath: root.path) {
                var isDir: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: root.appendingPathComponent(f).path, isDirectory: &isDir)
                if exists, !isDir.boolValue { #expect(seen.contains(f), "\(dir)/\(f) gave no item") }
            }
        }
        let h = try CollectHarness(source: "retention", target: shared.appendingPathComponent("corpora/prometheus-thanos").path)
        func rows(_ instanceLike: String) throws -> [String] {
            try h.rows("""
                SELECT system || ' ' || component || ' ' || coalesce(resolution, '-') || ' ' || coalesce(duration_seconds, '-')
                       || ' ' || coalesce(size_bytes, '-') || ' ' || unlimited || unresolved FROM retention_setting
                WHERE origin LIKE ? ORDER BY 1
                """, [instanceLike]).map { $0[0] as String }
        }
        #expect(try rows("kube-thanos/thanos-compact-statefulSet.yaml%") == ["thanos compactor 1h - - 10", "thanos compactor 5m - - 10", "thanos compactor raw - - 10"])
        #expect(try rows("kube-thanos/thanos-receive-statefulSet.yaml%") == ["thanos receive - 1296000 - 00"])
        #expect(try rows("xunholy-k8s-gitops/kube-prometheus-stack__helmrelease.yaml%") == ["prometheus tsdb - 1209600 53687091200 00"])
        let templated = try rows("sighupio-fury-distribution/%")
        #expect(!templated.isEmpty && templated.allSatisfy { $0.hasSuffix(" 01") })
        #expect(try rows("prometheus-repo/config__testdata__conf.good.yml%") == ["prometheus tsdb - 86400 1073741824 00"])
        #expect(try rows("rhobs-configuration/services__observatorium-metrics-template.yaml%").contains("thanos compactor raw - - 01"))
        #expect(try rows("rhobs-configuration/services__rhobs-thanos-operator%").contains("thanos compactor raw 315360000 - 00"))
        #expect(try h.errors().contains { $0.hasPrefix("prometheus-repo/config__testdata__tsdb_retention_time.bad.yml:") })
    }
}
