import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

@Suite("Talos collector")
struct TalosCollectorTests {
    @Test("the collector is registered and documented")
    func registered() throws {
        let c = try #require(CollectorRegistry.collector(for: "talos"))
        #expect(c.targetSyntax == "FILE_OR_DIR")
        #expect(!c.summary.isEmpty)
    }

    @Test("a v1alpha1 single-document config: settings flattened, posture normalized")
    func v1alpha1() throws {
        let h = try TalosHarness()
        let out = try h.collect(TalosHarness.fixtures.appendingPathComponent("estate/cp-1.yaml").path)
        #expect(out.errorCount == 0, "\((try? h.errors()) ?? [])")
        let node = try #require(try h.rows("SELECT * FROM talos_node").first)
        #expect(node["node"] as String == "cp-1")
        #expect(node["machine_type"] as String == "controlplane")
        #expect(node["talos_version"] as String == "v1.10.5")
        #expect(node["kubernetes_version"] as String == "v1.33.2")
        #expect(node["config_style"] as String == "v1alpha1")
        #expect(node["state_encrypted"] as Int == 1)
        #expect(node["state_encryption_keys"] as String == "nodeID")
        #expect(node["ephemeral_encrypted"] as Int == 1)
        #expect(node["ephemeral_encryption_keys"] as String == "static,tpm")
        #expect(node["time_servers"] as String == #"["ntp1.example.internal","ntp2.example.internal"]"#)
        #expect(node["time_server_count"] as Int == 2)
        #expect(node["log_destination_count"] as Int == 1)
        #expect(node["kmsg_log_count"] as Int == 1)  // talos.logging.kernel= kernel argument
        #expect(node["kube_proxy_disabled"] as Int == 1)
        #expect(node["cni_name"] as String == "none")
        #expect(node["pod_security_enforce"] as String == "restricted")
        #expect(node["apiserver_audit_policy"] as Int == 1)
        #expect(node["secrets_encryption"] as Int == 1)
        #expect(node["secrets_encryption_providers"] as String == "secretbox")
        #expect(node["kubelet_cert_rotation"] as Int == 1)
        #expect(node["talos_api_access_enabled"] as Int == 1)
        #expect(node["talos_api_access_roles"] as String == "os:reader")
        #expect(node["source_type"] as String == "declared")
        #expect(node["rbac_enabled"] as Int == 1)

        // Scalars keep what was written: `0755` and `yes` stay strings; quoted "1" stays a string.
        func setting(_ path: String) throws -> Row? {
            try h.rows("SELECT * FROM talos_setting WHERE path = ?", [path]).first
        }
        #expect(try setting(#"machine.sysctls["kernel.kptr_restrict"]"#)?["value"] as String? == #""0755""#)
        #expect(try setting(#"machine.sysctls["vm.overcommit_memory"]"#)?["value"] as String? == #""yes""#)
        #expect(try setting(#"machine.sysctls["net.ipv4.ip_forward"]"#)?["value"] as String? == #""1""#)
        #expect(try setting("machine.features.rbac")?["value"] as String? == "true")
        #expect(try setting("machine.network.interfaces[0].addresses[0]")?["value"] as String? == #""10.20.0.10/24""#)
        #expect(try setting("machine.systemDiskEncryption.state.keys[0].slot")?["value"] as String? == "0")
        #expect(try setting("machine.systemDiskEncryption.state.keys[0].nodeID")?["value"] as String? == "{}")
        let token = try #require(try setting("machine.token"))
        #expect(token["secret"] as Int == 1)
        #expect((token["value"] as String).hasPrefix(#""sha256:"#))
        #expect(token["line"] as Int == 8)
        #expect(try setting("machine.type")?["document"] as String? == "v1alpha1")
        // The item carries the redacted YAML as its blob, with comments kept.
        let item = try #require(try h.rows("SELECT * FROM evidence WHERE kind = 'talos.machineconfig'").first)
        let blob = try #require(try h.store.blobData(sha256: item["blob_sha256"]))
        let text = String(decoding: blob, as: UTF8.self)
        #expect(text.contains("# Defines the role of the machine within the cluster."))
        #expect(text.contains("token: sha256:"))
        #expect(!text.contains("plant1.aaaabbbbccccdddd"))
        #expect(try Verifier(store: h.store).verify().isIntact)
    }

    @Test("a 1.14-style multi-document config: HostnameConfig names the node, documents override legacy paths")
    func multidoc() throws {
        let h = try TalosHarness()
        let out = try h.collect(TalosHarness.fixtures.appendingPathComponent("estate/worker-1.yaml").path)
        #expect(out.errorCount == 0, "\((try? h.errors()) ?? [])")
        let node = try #require(try h.rows("SELECT * FROM talos_node").first)
        #expect(node["node"] as String == "worker-1")
        #expect(node["config_style"] as String == "multidoc")
        #expect(node["talos_version"] as String == "v1.14.2")
        #expect(node["state_encrypted"] as Int == 1)
        #expect(node["state_encryption_keys"] as String == "tpm")
        #expect(node["ephemeral_encrypted"] as Int == 0)
        #expect(node["time_sync_enabled"] as Int == 1)
        #expect(node["time_servers"] as String == #"["ntp1.example.internal"]"#)
        #expect(node["time_nts"] as Int == 1)
        #expect(node["kmsg_log_count"] as Int == 1)
        #expect(node["event_sink_count"] as Int == 1)
        #expect(node["firewall_default_ingress"] as String == "block")
        #expect(node["firewall_rule_count"] as Int == 2)
        #expect(node["firewall_open_world"] as Int == 1)
        #expect(node["firewall_open_world_rules"] as String == "nodeports-open")
        #expect(node["kubelet_cert_rotation"] as Int == 1)
        #expect(node["kubelet_seccomp_default"] as Int == 0)
        #expect(node["image_verification"] as Int == 1)
        #expect(node["rbac_enabled"] as Int? == nil)
        let docs = try h.rows("SELECT DISTINCT document FROM talos_setting ORDER BY document").map { $0[0] as String }
        #expect(docs.contains("VolumeConfig/EPHEMERAL"))
        #expect(docs.contains("NetworkRuleConfig/nodeports-open"))
        #expect(docs.contains("HostnameConfig"))
        // The SideroLink join token is rewritten inside its URL.
        let url: String? = try h.value("SELECT value FROM talos_setting WHERE path = 'apiUrl'")
        #expect(url?.contains("jointoken=sha256:") == true)
        #expect(url?.contains("plantedJoinToken") == false)
    }

    @Test("talosctl get machineconfig -o json and -o yaml output: one node config per resource")
    func talosctlOutput() throws {
        for name in ["talosctl-get-machineconfig.json", "talosctl-get-machineconfig.yaml"] {
            let h = try TalosHarness()
            let out = try h.collect(TalosHarness.fixtures.appendingPathComponent(name).path)
            #expect(out.errorCount == 0, "\(name): \((try? h.errors()) ?? [])")
            let nodes = try h.rows("SELECT node, ephemeral_encrypted, talos_version FROM talos_node ORDER BY node")
            #expect(nodes.map { $0[0] as String } == ["worker-2", "worker-3"], "\(name)")
            #expect(nodes.map { $0[1] as Int } == [1, 0], "\(name)")
            let data: String? = try h.value("SELECT data FROM evidence WHERE kind = 'talos.machineconfig' AND subject = 'worker-2'")
            #expect(data?.contains(#""talosctl_node":"10.20.0.21""#) == true, "\(name)")
        }
    }

    @Test("JSON-patch and strategic-merge patches are recorded as patches, with $patch: delete")
    func patches() throws {
        let h = try TalosHarness()
        let out = try h.collect(TalosHarness.fixtures.appendingPathComponent("patches").path)
        #expect(out.errorCount == 0, "\((try? h.errors()) ?? [])")
        #expect(try h.rows("SELECT * FROM talos_node").isEmpty)
        let json = try h.rows("SELECT op, path, value, secret FROM talos_patch WHERE patch_type = 'json6902' ORDER BY rowid")
        #expect(json.map { $0[0] as String } == ["replace", "add", "remove", "add"])
        #expect(json[0][2] as String == #""/dev/nvme0n1""#)
        #expect(json[1][3] as Int == 1)
        #expect((json[1][2] as String).hasPrefix(#""sha256:"#))
        #expect(json[3][2] as String == #"{"ip":"10.20.0.100"}"#)
        let deletes = try h.rows("SELECT document, path FROM talos_patch WHERE op = 'delete' ORDER BY rowid")
            .map { "\($0[0] as String) \($0[1] as String)" }
        #expect(deletes == ["v1alpha1 machine.network.interfaces[0]", "v1alpha1 machine.time", "KubeFlannelCNIConfig "])
        let aescbc = try #require(try h.rows("SELECT value, secret FROM talos_patch WHERE path = 'cluster.aescbcEncryptionSecret'").first)
        #expect(aescbc[1] as Int == 1)
    }

    @Test("a talhelper talconfig.yaml: patches recorded per scope")
    func talconfig() throws {
        let h = try TalosHarness()
        let out = try h.collect(TalosHarness.fixtures.appendingPathComponent("talconfig.yaml").path)
        #expect(out.errorCount == 0, "\((try? h.errors()) ?? [])")
        let scopes = try h.rows("SELECT DISTINCT scope FROM talos_patch ORDER BY scope").map { $0[0] as String }
        #expect(scopes == ["all", "controlPlane", "node:cp-1"])
        let include: String? = try h.value("SELECT path FROM talos_patch WHERE op = 'include'")
        #expect(include == "./patches/cp-1.yaml")
        let enforce: String? = try h.value("SELECT value FROM talos_patch WHERE path LIKE '%defaults.enforce'")
        #expect(enforce == #""restricted""#)
        let secretbox = try #require(try h.rows("SELECT value, secret FROM talos_patch WHERE path = '/cluster/secretboxEncryptionSecret'").first)
        #expect(secretbox[1] as Int == 1)
    }

    @Test("the demo estate folder: two nodes and a patch; a second capture verifies")
    func estate() throws {
        let h = try TalosHarness()
        let out = try h.collect(TalosHarness.fixtures.appendingPathComponent("estate").path)
        #expect(out.errorCount == 0, "\((try? h.errors()) ?? [])")
        let nodes = try h.rows("SELECT node, file FROM talos_node ORDER BY node").map { "\($0[0] as String) \($0[1] as String)" }
        #expect(nodes == ["cp-1 cp-1.yaml", "worker-1 worker-1.yaml"])
        let scan: String? = try h.value("SELECT data FROM evidence WHERE kind = 'talos.scan'")
        #expect(scan?.contains(#""configs":2"#) == true)
        #expect(scan?.contains(#""patches":1"#) == true)
        try h.collect(TalosHarness.fixtures.appendingPathComponent("estate").path)
        let report = try Verifier(store: h.store).verify()
        #expect(report.isIntact, "\(report.problems)")
        #expect(report.captures == 2)
    }
}
