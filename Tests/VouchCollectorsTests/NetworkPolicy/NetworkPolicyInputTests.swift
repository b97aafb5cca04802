import Foundation
import GRDB
import Testing
import VouchCore
import VouchTestSupport
@testable import VouchCollectors

/// Input forms of `netpol`: multi-document YAML with broken documents, kubectl JSON Lists, bare Cilium
/// rule lists, other kinds, and the shared corpora.
@Suite struct NetworkPolicyInputTests {
    @Test func brokenDocumentsAreReportedWithFileAndLineAndTheRestLands() throws {
        let yaml = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: one, namespace: a}
            spec: {podSelector: {}, ingress: []}
            ---
            kind: NetworkPolicy
            metadata: {name: broken
            spec: {}
            ---
            # only a comment
            ---
            kind: NetworkPolicy
            metadata: {name: two, namespace: a}
            spec:
              podSelector: {}
              ingress:
                - from: [{podSelector: {}}]
               bad: indentation
            ---
            kind: NetworkPolicy
            metadata: {name: three, namespace: a}
            spec: {podSelector: {}, egress: [{}], policyTypes: [Egress]}
            """
        let h = try CollectHarness(source: "netpol", files: ["multi.yaml": yaml])
        let errors = try h.errors()
        #expect(errors.count == 2)
        #expect(errors.contains { $0.hasPrefix("multi.yaml:7:") || $0.hasPrefix("multi.yaml:8:") })
        #expect(errors.contains { $0.hasPrefix("multi.yaml:17:") || $0.hasPrefix("multi.yaml:18:") })
        #expect(try h.items(kind: "netpol.policy") == ["NetworkPolicy/a/one", "NetworkPolicy/a/three"])
        #expect(h.outcome.sources.first?.status == "partial")
        let origins = try h.rows("SELECT origin FROM policy_rule").map { $0["origin"] as String }
        #expect(origins == ["multi.yaml:20"])
    }

    @Test func largeMultiDocumentFileParsedInParallelKeepsOrderAndLines() throws {
        // 120 documents (parsed concurrently); documents 40 and 90 are broken.
        var docs: [String] = []
        for i in 0..<120 {
            docs.append(i == 40 || i == 90
                ? "kind: NetworkPolicy\nmetadata: {name: [broken\nspec: {}"
                : "kind: NetworkPolicy\nmetadata: {name: p\(i), namespace: n}\nspec: {podSelector: {}, ingress: [{}]}")
        }
        let h = try CollectHarness(source: "netpol", files: ["many.yaml": docs.joined(separator: "\n---\n")])
        let errors = try h.errors()
        #expect(errors.count == 2)
        // Document i starts on line 4 * i + 1.
        #expect(errors.contains { $0.hasPrefix("many.yaml:162:") || $0.hasPrefix("many.yaml:163:") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("many.yaml:362:") || $0.hasPrefix("many.yaml:363:") }, "\(errors)")
        let subjects = try h.items(kind: "netpol.policy")
        #expect(subjects.count == 118)
        #expect(subjects.prefix(3) == ["NetworkPolicy/n/p0", "NetworkPolicy/n/p1", "NetworkPolicy/n/p2"])
        let origins = try h.rows("SELECT origin FROM policy_rule WHERE policy = 'p119'").map { $0[0] as String }
        #expect(origins == ["many.yaml:477"])
    }

    @Test func kubectlJSONListKeepsPoliciesAndSkipsOtherKindsWithoutStoringThem() throws {
        let json = """
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"env": "prod"}}},
              {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"},
               "data": {"password": "c3VwZXJzZWNyZXQtdmFsdWU="}},
              {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "items": [
                {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "web", "namespace": "shop"},
                 "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                          "ingress": [{"ports": [{"port": 443, "protocol": "TCP"}]}]}}]}
            ]}
            """
        let h = try CollectHarness(source: "netpol", files: ["dump.json": json])
        #expect(try h.errors() == [])
        #expect(try h.items(kind: "netpol.skipped") == ["Secret/shop/db"])
        #expect(try h.items(kind: "netpol.namespace") == ["shop"])
        let rule = try #require(try h.rows("SELECT * FROM policy_rule").first)
        #expect(rule["peer_type"] as String == "all")
        #expect(rule["subject"] as String == #"{"matchLabels":{"app":"web"}}"#)
        #expect(rule["all_ports"] as Int64 == 0)
        let ns = try h.rows("SELECT known_from, evidence_id, allows_world_ingress FROM namespace_policy")
        #expect(ns.count == 1)
        #expect(ns.first?["known_from"] as String? == "namespace")
        #expect(ns.first?["evidence_id"] as Int64? != nil)
        #expect(ns.first?["allows_world_ingress"] as Int64? == 1)
        let blobs = try h.rows("SELECT sha256 FROM blob").compactMap { try h.store.blobData(sha256: $0["sha256"]) }
        #expect(!blobs.isEmpty)
        #expect(!blobs.contains { String(decoding: $0, as: UTF8.self).contains("c3VwZXJzZWNyZXQtdmFsdWU=") })
    }

    @Test func bareCiliumRuleListIsReadAsImportedRules() throws {
        let h = try CollectHarness(source: "netpol", files: ["rules.json": """
            [{"endpointSelector": {"matchLabels": {"env": "prod"}}, "ingress": [{"fromEntities": ["world"]}]}]
            """])
        #expect(try h.errors() == [])
        let rows = try h.rows("SELECT kind, namespace, peer, peer_world FROM policy_rule")
        #expect(rows.count == 1)
        #expect(rows.first?["kind"] as String? == "CiliumRules")
        #expect(rows.first?["namespace"] as String? == nil)
        #expect(rows.first?["peer_world"] as Int64? == 1)
    }

    @Test func selectorWithStrayKeysIsKeptAsCiliumReadsItAndWarned() throws {
        // `role` indented as a sibling of matchLabels: Cilium ignores it, so the peer selects every endpoint.
        let h = try CollectHarness(source: "netpol", files: ["quirk.yaml": """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: l4-rule, namespace: n}
            spec:
              endpointSelector:
                matchLabels:
                role: backend
              ingress:
              - fromEndpoints:
                - matchLabels:
                  role: frontend
            """])
        let row = try #require(try h.rows("SELECT subject, peer FROM policy_rule").first)
        #expect(row["subject"] as String == "{}")
        #expect(row["peer"] as String == "{}")
        let data = try #require(try h.rows("SELECT data FROM evidence WHERE kind = 'netpol.policy'").first)
        #expect((data["data"] as String).contains("unknown keys role"))
    }

    @Test func missingTargetFailsTheSourceWithAClearReason() throws {
        let h = try CollectHarness(source: "netpol", target: "/nonexistent/vouch-netpol")
        #expect(h.outcome.sources.first?.status == "error")
        #expect(h.outcome.sources.first?.message?.contains("/nonexistent/vouch-netpol") == true)
    }

    @Test func everySharedCorpusFileCollectsOrGivesAClearError() throws {
        guard let shared = CollectHarness.sharedDirectory else {
            TestSupport.skip("../shared is absent (a user's clone): the network-policy corpus cannot be read")
            return
        }
        for dir in ["corpora/network-policies", "corpora/formats-samples/cilium/policies"] {
            let h = try CollectHarness(source: "netpol", target: shared.appendingPathComponent(dir).path)
            #expect(h.outcome.sources.first?.status != "error", "\(dir): \(h.outcome.sources.first?.message ?? "")")
            for e in try h.errors() {
                // Every error names a file and a line and says what to do.
                #expect(e.range(of: #"^[^:]+\.(yaml|yml|json):\d+: .*; fix"#, options: .regularExpression) != nil, "\(e)")
            }
            let files = try FileManager.default.subpathsOfDirectory(atPath: shared.appendingPathComponent(dir).path)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }
            let withPolicy = Set(try h.rows("SELECT DISTINCT origin FROM evidence").map { ($0["origin"] as String).split(separator: ":").first.map(String.init) ?? "" })
            let commentedOut = ["cluster__openfaas__networkpolicy.yaml", "namespaces__flux__networkpolicy.yaml"]
            for f in files where !commentedOut.contains((f as NSString).lastPathComponent) {
                #expect(withPolicy.contains(f), "\(dir)/\(f) gave no item")
            }
        }
        // Spot checks against the real files' semantics. Alone, openfaas allows all ingress (`ingress: [{}]`)...
        let gitops = try CollectHarness(source: "netpol", target: shared.appendingPathComponent("corpora/network-policies/xunholy-k8s-gitops").path)
        let open = try gitops.rows("SELECT allow_all_ingress, allows_world_ingress FROM namespace_policy WHERE namespace = 'openfaas'")
        #expect(open.first?[0] as Int64? == 1 && open.first?[1] as Int64? == 1)
        // ...but beside Cilium's clusterwide `external-lockdown` (ingressDeny world for every endpoint) it no longer does.
        let h = try CollectHarness(source: "netpol", target: shared.appendingPathComponent("corpora/network-policies").path)
        let locked = try h.rows("SELECT allow_all_ingress, allows_world_ingress, policy_count FROM namespace_policy WHERE namespace = 'openfaas'")
        #expect(locked.first?[0] as Int64? == 0 && locked.first?[1] as Int64? == 0)
        #expect((locked.first?[2] as Int64? ?? 0) > 1)
        let kinds = try h.rows("SELECT DISTINCT kind FROM policy_rule ORDER BY kind").map { $0["kind"] as String }
        #expect(kinds == ["CiliumClusterwideNetworkPolicy", "CiliumNetworkPolicy", "CiliumRules", "NetworkPolicy"])
        #expect(try h.items(kind: "netpol.skipped").contains("AuditClusterNetworkPolicy/cluster-baseline-audit"))
    }
}
