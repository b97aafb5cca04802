import CLibBPF
import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchControls
import VouchCore
import VouchTestSupport

/// Declared vs enforced, on the team's scenario fixtures (recorded Cilium outputs, byte-exact policy maps)
/// and on a policy map created in the kernel.
@Suite("PolicyVerify")
struct PolicyVerifyTests {
    static let scenarios = TestSupport.packageRoot.appendingPathComponent("fixtures/policy-verify")

    struct Outcome {
        var counts: [String: Int]
        var rows: [Row]
        var store: EvidenceStore
        var captureID: Int64
    }

    func verify(_ requests: [SourceRequest]) throws -> Outcome {
        let dir = try TestSupport.makeTempDir("vouch-pv")
        let store = try EvidenceStore(path: dir.appendingPathComponent("vouch.db").path)
        let capture = try CaptureRunner(store: store, collectors: CollectorRegistry.all, baseDirectory: dir).run(requests)
        let s = try PolicyVerifier.run(store: store, captureID: capture.captureID)
        #expect(s.applicable)
        let rows = try store.pool.read { try Row.fetchAll($0, sql: "SELECT * FROM policy_verification WHERE capture_id = ? ORDER BY seq", arguments: [capture.captureID]) }
        try? FileManager.default.removeItem(at: dir)  // rows are in memory; /tmp is shared
        return Outcome(counts: s.counts, rows: rows, store: store, captureID: capture.captureID)
    }

    func scenario(_ name: String) throws -> Outcome {
        let d = Self.scenarios.appendingPathComponent(name)
        return try verify([SourceRequest(source: "netpol", target: d.appendingPathComponent("netpol").path),
                           SourceRequest(source: "bpf", target: d.appendingPathComponent("bpf").path)])
    }

    /// The rows that are neither match nor implicit, as "verdict direction identity proto/port".
    func problems(_ o: Outcome) -> [String] {
        o.rows.filter { !["match", "implicit"].contains($0["verdict"] as String) }.map { r in
            "\(r["verdict"] as String) \((r["direction"] as String?) ?? "-") \((r["identity"] as Int64?).map(String.init) ?? "-") \((r["protocol"] as Int64?).map(String.init) ?? "-")/\((r["port"] as Int64?).map(String.init) ?? "-")"
        }
    }

    @Test("an exact match: every declared entry enforced, Cilium's own entries recognized as implicit")
    func exactMatch() throws {
        let o = try scenario("match")
        #expect(problems(o).isEmpty)
        #expect(o.counts["match"] == 1)
        let implicit = o.rows.filter { ($0["verdict"] as String) == "implicit" }.map { "\($0["endpoint_id"] as Int64) \($0["direction"] as String) \($0["identity"] as Int64)" }
        #expect(Set(implicit) == ["412 ingress 1", "412 egress 0", "873 ingress 0", "873 egress 0"])
    }

    @Test("a planted allow is unexpected")
    func plantedAllow() throws {
        #expect(problems(try scenario("unexpected-allow")) == ["unexpected ingress 2 6/22"])
    }

    @Test("a declared rule absent from the map is missing, naming its policy")
    func missingRule() throws {
        let o = try scenario("missing-rule")
        #expect(problems(o) == ["missing ingress 48312 6/8080"])
        #expect(o.rows.contains { ($0["policies"] as String?) == "CiliumNetworkPolicy/shop/backend-ingress" })
    }

    @Test("a declared deny enforced as allow is a mismatch")
    func denyAsAllow() throws {
        let o = try scenario("deny-enforced-as-allow")
        #expect(problems(o) == ["mismatch ingress 2 0/0"])
        #expect(o.rows.contains { ($0["expected"] as String?) == "deny" && ($0["enforced"] as String?) == "allow" })
    }

    @Test("an L7 rule without a proxy redirect is a mismatch")
    func l7WithoutProxy() throws {
        let o = try scenario("l7-without-proxy")
        #expect(problems(o) == ["mismatch ingress 48312 6/8080"])
        #expect(o.rows.contains { ($0["reason"] as String?)?.contains("proxy redirect") == true })
    }

    @Test("an unsupported construct is unverified and named, and never reported unexpected")
    func unsupported() throws {
        let o = try scenario("unsupported-fqdn")
        #expect(problems(o) == ["unverified egress - -/-", "unverified egress 16777217 6/443"])
        #expect(o.rows.contains { ($0["reason"] as String?)?.contains("fqdn peer") == true })
    }

    @Test("vouch policy verify exits 1 on differences, 0 on a match, 2 without both sides")
    func cli() throws {
        guard FileManager.default.isExecutableFile(atPath: TestSupport.vouchBinary.path) else {
            TestSupport.skip("the vouch binary is not built"); return
        }
        for (name, status) in [("match", Int32(0)), ("unexpected-allow", 1)] {
            let dir = try TestSupport.makeTempDir("vouch-pv-cli")
            let db = dir.appendingPathComponent("v.db").path
            let d = Self.scenarios.appendingPathComponent(name).path
            try TestSupport.vouch(["collect", "--store", db, "--source", "netpol=\(d)/netpol", "--source", "bpf=\(d)/bpf"])
            let r = try TestSupport.vouch(["policy", "verify", "--store", db])
            #expect(r.status == status, "\(name): \(r.stdout)\(r.stderr)")
            if status == 1 { #expect(r.stdout.contains("UNEXPECTED  endpoint 412 shop/backend-0  ingress identity 2 tcp/22")) }
        }
        let dir = try TestSupport.makeTempDir("vouch-pv-cli")
        let db = dir.appendingPathComponent("v.db").path
        try TestSupport.vouch(["collect", "--store", db, "--source", "netpol=\(Self.scenarios.path)/match/netpol"])
        let r = try TestSupport.vouch(["policy", "verify", "--store", db])
        #expect(r.status == 2 && r.stderr.contains("both sides"), "\(r.stdout)\(r.stderr)")
    }

    @Test("live: a planted entry in a kernel policy map pinned with Cilium's name is named by the verifier")
    func live() throws {
        var probe = bpf_map_create_opts()
        probe.sz = MemoryLayout<bpf_map_create_opts>.size
        probe.map_flags = UInt32(BPF_F_NO_PREALLOC)
        let fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "cilium_policy_v", 12, 12, 64, &probe)
        guard fd >= 0 else { TestSupport.skip("bpf() refused (\(String(cString: strerror(-fd)))): run as root"); return }
        defer { close(fd) }
        let fs = try TestSupport.makeTempDir("vouch-pv-bpffs")
        guard mount("bpf", fs.path, "bpf", 0, nil) == 0 else { TestSupport.skip("cannot mount a bpffs"); return }
        defer { umount2(fs.path, Int32(MNT_DETACH)) }
        // Endpoint 31337 = the backend: the declared entry, Cilium's implicit ones, and one planted allow.
        let entries = [
            CiliumPolicyLayout.encodeCurrent(identity: 51877 - 3565, egress: false, proto: 6, port: 8080),  // 48312: frontend
            CiliumPolicyLayout.encodeCurrent(identity: 1, egress: false, proto: 0, port: 0),
            CiliumPolicyLayout.encodeCurrent(identity: 0, egress: true, proto: 0, port: 0),
            CiliumPolicyLayout.encodeCurrent(identity: 2, egress: false, proto: 6, port: 2222),  // planted
        ]
        for e in entries { #expect(bpf_map_update_elem(fd, e.key, e.value, UInt64(BPF_ANY)) == 0) }
        #expect(bpf_obj_pin(fd, fs.appendingPathComponent("cilium_policy_v2_31337").path) == 0)
        // The endpoint and identity lists, as cilium-dbg printed them on this node.
        let lists = try TestSupport.makeTempDir("vouch-pv-lists")
        let source = Self.scenarios.appendingPathComponent("match/bpf/node-1")
        var endpoints = try String(contentsOf: source.appendingPathComponent("endpoint-list.json"), encoding: .utf8)
        endpoints = endpoints.replacingOccurrences(of: "\"id\": 412", with: "\"id\": 31337")
        try TestSupport.write(endpoints, to: lists.appendingPathComponent("endpoint-list.json"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("identity-list.json"), to: lists.appendingPathComponent("identity-list.json"))
        let host = CaptureRunner.hostName()
        let o = try verify([
            SourceRequest(source: "netpol", target: Self.scenarios.appendingPathComponent("match/netpol").path),
            SourceRequest(source: "bpf", target: "live", options: ["contents": true]),
            SourceRequest(source: "bpf", target: lists.path, options: ["host": .string(host)]),
        ])
        let mine = o.rows.filter { ($0["endpoint_id"] as Int64?) == 31337 }
        let bad = mine.filter { !["match", "implicit"].contains($0["verdict"] as String) }
        #expect(bad.map { "\($0["verdict"] as String) \($0["identity"] as Int64) \($0["port"] as Int64)" } == ["unexpected 2 2222"])
        #expect(mine.contains { ($0["verdict"] as String) == "match" && ($0["identity"] as Int64) == 48312 })
    }
}
