import Foundation
import GRDB
import Testing
import VouchCore
import VouchTestSupport

/// The demo estate (`fixtures/netpol`, `fixtures/retention`) says what the README and the demo promise.
@Suite struct DemoFixtureTests {
    @Test func netpolFixtureHasAnOpenNamespaceAndAWorldFacingOne() throws {
        let h = try CollectHarness(source: "netpol", target: TestSupport.packageRoot.appendingPathComponent("fixtures/netpol").path,
                                   options: ["namespaces": ["batch"]])
        #expect(try h.errors() == [])
        let ns = Dictionary(uniqueKeysWithValues: try h.rows("SELECT * FROM namespace_policy").map { r in
            (r["namespace"] as String, [r["default_deny_ingress"], r["default_deny_egress"], r["allows_world_ingress"]].map { $0 as Int64 })
        })
        #expect(ns["shop"] == [1, 1, 0])
        #expect(ns["payments"] == [1, 1, 0])
        #expect(ns["monitoring"] == [0, 0, 0])
        #expect(ns["public-web"] == [0, 0, 1])
        #expect(ns["batch"] != nil)
    }

    @Test func retentionFixtureHasAShortPrometheusAndAThanosCompactor() throws {
        let h = try CollectHarness(source: "retention", target: TestSupport.packageRoot.appendingPathComponent("fixtures/retention").path)
        #expect(try h.errors() == [])
        let prom = try h.rows("SELECT duration_seconds FROM retention_setting WHERE system = 'prometheus' AND instance = 'monitoring/k8s'")
        #expect(prom.map { $0[0] as Int64 } == [15 * 86_400])
        let thanos = try h.rows("""
            SELECT resolution, coalesce(duration_seconds, -1), unlimited FROM retention_setting
            WHERE system = 'thanos' AND component = 'compactor' ORDER BY duration_seconds
            """).map { "\($0[0] as String) \($0[1] as Int64) \($0[2] as Int64)" }
        #expect(thanos == ["1h -1 1", "raw 2592000 0", "5m 15552000 0"])
    }
}
