import Foundation
import GRDB
import Testing
import VouchCore
import VouchTestSupport
@testable import VouchCollectors

/// What `retention` stores: credentials never, Secrets never; other file types are recorded as skipped.
@Suite struct RetentionInputTests {
    @Test func credentialsInConfigsAreFingerprintedBeforeTheBlobIsStored() throws {
        let config = """
            global: {scrape_interval: 30s}
            remote_write:
              - url: https://writer:hunter2-url-pass@metrics.example/api/v1/push
                basic_auth:
                  username: writer
                  password: "s3cr3t-basic-pass"
                  password_file: /etc/prometheus/pass
                authorization:
                  credentials: tok-abcdef-123456
            storage: {tsdb: {retention: {time: 30d}}}
            """
        let secretManifest = """
            apiVersion: v1
            kind: Secret
            metadata: {name: objstore}
            stringData: {objstore.yml: "secret_key: AKIAEXAMPLEKEY1234"}
            ---
            kind: Prometheus
            apiVersion: monitoring.coreos.com/v1
            metadata: {name: p}
            spec: {retention: 10d}
            """
        let h = try CollectHarness(source: "retention", files: ["prometheus.yml": config, "bundle.yaml": secretManifest,
                                                                "host.nix": "{ services.prometheus.retentionTime = \"30d\"; }"])
        #expect(try h.errors() == [])
        let blobs = try h.rows("SELECT sha256 FROM blob").compactMap { try h.store.blobData(sha256: $0["sha256"]) }
            .map { String(decoding: $0, as: UTF8.self) }
        let all = blobs.joined(separator: "\n") + (try h.rows("SELECT data FROM item").map { $0["data"] as String }.joined())
        for secret in ["hunter2-url-pass", "s3cr3t-basic-pass", "tok-abcdef-123456", "AKIAEXAMPLEKEY1234"] {
            #expect(!all.contains(secret), "\(secret) reached the store")
        }
        #expect(blobs.contains { $0.contains("password_file: /etc/prometheus/pass") && $0.contains("sha256:") })
        // The file with the Secret still gives its retention, without a blob.
        let p = try h.rows("SELECT duration_seconds FROM retention_setting WHERE instance = 'p'")
        #expect(p.map { $0[0] as Int64 } == [10 * 86_400])
        #expect(try h.items(kind: "retention.skipped") == ["host.nix"])
    }

    @Test func commandLineTextHelpers() {
        #expect(RetentionFlags.shellWords(#"a "b c" 'd e' f\ g"#) == ["a", "b c", "d e", "f g"])
        let lines = RetentionFlags.commandLines("ExecStart=/usr/bin/thanos compact \\\n  --retention.resolution-raw=7d\n# c\nX=1\n")
        #expect(lines.first?.program == "/usr/bin/thanos")
        #expect(lines.first?.args.map(\.text) == ["/usr/bin/thanos", "compact", "--retention.resolution-raw=7d"])
        #expect(lines.first?.args.last?.line == 2)
    }
}
