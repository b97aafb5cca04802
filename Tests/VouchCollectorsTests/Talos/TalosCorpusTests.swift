import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

/// Real-world Talos files from ../shared (not in a user's clone: skipped with a reason there).
@Suite("Talos corpora")
struct TalosCorpusTests {
    static func corpusRoots() -> [URL]? {
        guard let shared = TestSupport.sharedDirectory else { return nil }
        return [shared.appendingPathComponent("corpora/talos"), shared.appendingPathComponent("corpora/formats-samples/talos")]
    }

    @Test("every corpus file collects or yields a per-file error item; none crashes; no corpus secret is stored")
    func everyFile() throws {
        guard let roots = Self.corpusRoots() else {
            TestSupport.skip("../shared is absent (a user's clone): the Talos corpora cannot be read")
            return
        }
        for root in roots {
            let h = try TalosHarness()
            let out = try h.collect(root.path)
            #expect(out.sources.first?.status != "error", "\(root.lastPathComponent): \(out.sources.first?.message ?? "")")
            let candidates = try TalosCollector.configFiles(in: root).map(\.relative)
            #expect(!candidates.isEmpty)
            var seen = Set(try h.rows("SELECT DISTINCT file FROM talos_node UNION SELECT DISTINCT file FROM talos_patch").map { $0[0] as String })
            seen.formUnion(try h.rows("SELECT subject FROM evidence WHERE status = 'error'").map { $0[0] as String })
            let scan = try JSONValue.parse(try #require(try h.value("SELECT data FROM evidence WHERE kind = 'talos.scan'") as String?))
            seen.formUnion(scan["skipped"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            for f in candidates { #expect(seen.contains(f), "\(root.lastPathComponent)/\(f): neither collected nor reported") }
            for e in try h.errors() {
                // Every error names its file and says what to do.
                #expect(e.contains(".yaml") || e.contains(".json") || e.contains(".patch"), "\(e)")
            }
        }
    }

    @Test("corpus configs: real secrets are fingerprinted, SOPS files are marked, multi-doc configs are normalized")
    func knownFiles() throws {
        guard let roots = Self.corpusRoots() else {
            TestSupport.skip("../shared is absent (a user's clone): the Talos corpora cannot be read")
            return
        }
        let h = try TalosHarness()
        try h.collect(roots[0].path)
        // intility: a full `talosctl gen config` output with real (lab) secrets.
        let intility = try String(contentsOf: roots[0].appendingPathComponent("intility-talos-lab/controlplane.yaml"), encoding: .utf8)
        var secrets: [String] = []
        for line in intility.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            for key in ["key: ", "token: ", "secret: ", "secretboxEncryptionSecret: "] where t.hasPrefix(key) {
                let v = t.dropFirst(key.count).split(separator: " ").first.map(String.init) ?? ""
                if v.count > 8 { secrets.append(v) }
            }
        }
        #expect(secrets.count >= 8)
        let bytes = try h.storeBytes()
        for s in secrets { #expect(bytes.range(of: Data(s.utf8)) == nil, "corpus secret stored: \(s.prefix(10))…") }
        let node = try #require(try h.rows("SELECT * FROM talos_node WHERE file = 'intility-talos-lab/controlplane.yaml'").first)
        #expect(node["machine_type"] as String == "controlplane")
        #expect(node["talos_version"] as String == "v1.10.1")
        #expect(node["pod_security_enforce"] as String == "baseline")
        #expect(node["secrets_encryption"] as Int == 1)
        let sops = try #require(try h.rows("SELECT * FROM talos_node WHERE file = 'xunholy-k8s-gitops/controlplane.enc.age.yaml'").first)
        #expect(sops["sops_encrypted"] as Int == 1)
        #expect(sops["talos_version"] as String? == "v1.13.4")

        let h2 = try TalosHarness()
        try h2.collect(roots[1].path)
        let v115 = try #require(try h2.rows("SELECT * FROM talos_node WHERE file = 'examples/stability-v1.15-base-controlplane.yaml'").first)
        #expect(v115["config_style"] as String == "multidoc")
        #expect(v115["pod_security_enforce"] as String == "baseline")
        #expect(v115["apiserver_audit_policy"] as Int == 1)
        #expect(v115["secrets_encryption_providers"] as String == "secretbox")
        #expect(v115["cni_name"] as String == "flannel")
        let mc = try h2.rows("SELECT node FROM talos_node WHERE file = 'examples/resource-machineconfig-get-o-yaml.yaml'")
        #expect(mc.count == 1)
    }
}
