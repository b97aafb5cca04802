import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

/// Importing bpftool and cilium-dbg JSON: the team's recorded fixtures and the shared corpora.
@Suite("BPFImport")
struct BPFImportTests {
    static let fixtures = TestSupport.packageRoot.appendingPathComponent("fixtures/bpf")

    @Test("the demo estate's recorded bpftool and cilium-dbg outputs import into facts")
    func demoEstate() throws {
        let (store, outcome) = try BPFTestSupport.collect(target: Self.fixtures.path)
        #expect(outcome.sources.first?.status == "ok", "\(outcome.sources)")
        let cid = outcome.captureID
        let progs = try BPFTestSupport.rows(store, "SELECT prog_id, type, host, loaded_at, map_ids FROM bpf_program WHERE capture_id = ? ORDER BY prog_id", [cid])
        #expect(progs.map { $0["prog_id"] as Int64 } == [57, 101, 102])
        #expect(progs.allSatisfy { ($0["host"] as String) == "node-1" })
        #expect(progs[1].str("loaded_at") == Timestamp.string(Date(timeIntervalSince1970: 1795600000)))
        #expect(progs[1].str("map_ids") == "[201,203]")
        let maps = try BPFTestSupport.rows(store, "SELECT map_id, cilium_kind, endpoint_id, entry_count, content_sha256 FROM bpf_map WHERE capture_id = ? ORDER BY map_id", [cid])
        #expect(maps.map { $0["map_id"] as Int64 } == [201, 202, 203])
        #expect(maps.map { $0["endpoint_id"] as Int64? } == [412, 873, nil])
        #expect(maps.map { $0["entry_count"] as Int64 } == [4, 5, 4])
        // The import's fingerprint is the same function of the bytes as a live read.
        let dump = try JSONValue.parse(Data(contentsOf: Self.fixtures.appendingPathComponent("node-1/map-dump-201.json")))
        let raw = dump.arrayValue!.map { e in
            (key: e["key"]!.arrayValue!.map { UInt8($0.stringValue!.dropFirst(2), radix: 16)! },
             value: e["value"]!.arrayValue!.map { UInt8($0.stringValue!.dropFirst(2), radix: 16)! })
        }
        #expect(maps[0].str("content_sha256") == BPFTestSupport.contentSHA(raw))
        let pe = try BPFTestSupport.rows(store, """
            SELECT endpoint_id, identity, direction, protocol, port FROM cilium_policy_entry WHERE capture_id = ? AND endpoint_id = 412
            ORDER BY direction, identity, protocol
            """, [cid])
        #expect(pe.map { "\($0["direction"] as String) \($0["identity"] as Int64) \($0["protocol"] as Int64)/\($0["port"] as Int64)" }
                == ["egress 24121 6/53", "egress 24121 17/53", "ingress 1 0/0", "ingress 48312 6/8080"])
        let ipc = try BPFTestSupport.rows(store, "SELECT decoded FROM bpf_map_entry WHERE capture_id = ? AND map_id = 203", [cid])
        let decoded = try ipc.map { try JSONValue.parse($0["decoded"] as String) }
        #expect(decoded.contains { $0["cidr"] == "10.0.1.12/32" && $0["identity"] == 51877 })
        let eps = try BPFTestSupport.rows(store, "SELECT endpoint_id, identity, namespace, pod FROM cilium_endpoint WHERE capture_id = ? ORDER BY endpoint_id", [cid])
        #expect(eps.map { "\($0["endpoint_id"] as Int64) \($0["identity"] as Int64) \($0["namespace"] as String)" } == ["412 51877 shop", "873 48312 shop"])
        let labels = try BPFTestSupport.rows(store, """
            SELECT label_key, label_value FROM cilium_identity_label WHERE capture_id = ? AND identity = 2
            """, [cid])
        #expect(labels.map { "\($0["label_key"] as String)=\(($0["label_value"] as String?) ?? "")" } == ["world="])
        let links = try BPFTestSupport.rows(store, "SELECT target, attach_type FROM bpf_link WHERE capture_id = ? ORDER BY link_id", [cid])
        #expect(links.map { $0["target"] as String } == ["ifindex:12", "ifindex:13"])
    }

    @Test("legacy policy layout from a plain-text dump, per-CPU dumps, formatted-only dumps and cilium-dbg policy JSON")
    func shapes() throws {
        let dir = try TestSupport.makeTempDir("vouch-bpf-import")
        try TestSupport.write("""
            # bpftool map dump pinned /sys/fs/bpf/tc/globals/cilium_policy_02761
            key:
            66 00 00 00 00 35 11 01
            value:
            ae f9 00 00 00 00 00 00  08 00 00 00 00 00 00 00
            00 00 00 00 00 00 00 00
            """, to: dir.appendingPathComponent("legacy.txt"))
        try TestSupport.write("""
            [{"key":["0x01","0x00","0x00","0x00"],"values":[{"cpu":0,"value":["0x05","0x00","0x00","0x00"]},{"cpu":1,"value":["0x06","0x00","0x00","0x00"]}],
              "formatted":{"key":1,"values":[{"cpu":0,"value":5},{"cpu":1,"value":6}]}}]
            """, to: dir.appendingPathComponent("map-dump-31.json"))
        try TestSupport.write("""
            [{"value": {".bss": [{"counter": 6851}]}}]
            """, to: dir.appendingPathComponent("map-dump-name-hello_pa.bss.json"))
        try TestSupport.write("""
            [{"EndpointID": "35", "Path": "/sys/fs/bpf/tc/globals/cilium_policy_00035",
              "Content": [{"ProxyPortNetwork": 0, "Flags": 1, "AuthRequirement": 0, "Cookie": 0, "Packets": 0, "Bytes": 0,
                           "Key": {"Prefixlen": 64, "Identity": 2, "TrafficDirection": 0, "Nexthdr": 6, "DestPortNetwork": 20480}},
                          {"ProxyPortNetwork": 39455, "Flags": 0, "Key": {"Prefixlen": 64, "Identity": 7000, "TrafficDirection": 1, "Nexthdr": 6, "DestPortNetwork": 47873}}]}]
            """, to: dir.appendingPathComponent("policy.json"))
        let (store, outcome) = try BPFTestSupport.collect(target: dir.path, options: ["host": "n1"])
        #expect(outcome.sources.first?.errorCount == 0, "\(outcome.sources)")
        let cid = outcome.captureID
        let legacy = try BPFTestSupport.rows(store, "SELECT * FROM cilium_policy_entry WHERE capture_id = ? AND endpoint_id = 2761", [cid])
        #expect(legacy.count == 1)
        #expect(legacy.first?.int("identity") == 102 && legacy.first?.int("protocol") == 17 && legacy.first?.int("port") == 53)
        #expect(legacy.first?.str("direction") == "egress" && legacy.first?.int("proxy_port") == 44793 && legacy.first?.str("layout") == "hash8/v24")
        let pcpu = try #require(try BPFTestSupport.rows(store, "SELECT * FROM bpf_map WHERE capture_id = ? AND map_id = 31", [cid]).first)
        #expect(pcpu.int("entry_count") == 1)
        // Each CPU's value padded to 8 bytes, as a live read returns it.
        #expect(pcpu.str("content_sha256") == BPFTestSupport.contentSHA([([1, 0, 0, 0], [5, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0])]))
        let bss = try #require(try BPFTestSupport.rows(store, "SELECT * FROM bpf_map WHERE capture_id = ? AND name = 'hello_pa.bss'", [cid]).first)
        #expect(bss["map_id"] as Int64? == nil && bss.int("entry_count") == 1 && bss["content_sha256"] as String? == nil)
        let dbg = try BPFTestSupport.rows(store, "SELECT * FROM cilium_policy_entry WHERE capture_id = ? AND endpoint_id = 35 ORDER BY identity", [cid])
        #expect(dbg.map { "\($0["identity"] as Int64) \($0["direction"] as String) \($0["port"] as Int64) deny=\($0["deny"] as Int64) proxy=\($0["proxy_port"] as Int64)" }
                == ["2 ingress 80 deny=1 proxy=0", "7000 egress 443 deny=0 proxy=8090"])
    }

    @Test("every file of the shared bpftool/Cilium corpora imports or yields an error item naming it")
    func corpora() throws {
        guard let shared = TestSupport.sharedDirectory else { TestSupport.skip("../shared is not beside this checkout"); return }
        let roots = ["corpora/bpftool-cilium-json", "corpora/formats-samples/bpftool", "corpora/formats-samples/cilium"]
        var files: [URL] = []
        for r in roots {
            let e = FileManager.default.enumerator(at: shared.appendingPathComponent(r), includingPropertiesForKeys: nil)
            while let u = e?.nextObject() as? URL {
                if u.pathExtension == "json" || u.pathExtension == "txt", !u.lastPathComponent.hasPrefix("PROVENANCE") { files.append(u) }
            }
        }
        #expect(files.count >= 20)
        var imported = 0, failed = 0
        for f in files {
            // One folder per file: a file's error must be its own.
            let dir = try TestSupport.makeTempDir("vouch-corpus")
            defer { try? FileManager.default.removeItem(at: dir) }
            try FileManager.default.copyItem(at: f, to: dir.appendingPathComponent(f.lastPathComponent))
            let (store, outcome) = try BPFTestSupport.collect(target: dir.path, in: dir)
            let src = try #require(outcome.sources.first)
            #expect(src.status != "error", "\(f.lastPathComponent): the whole source failed: \(src.message ?? "")")
            let errors = try BPFTestSupport.rows(store, "SELECT subject, data FROM evidence WHERE capture_id = ? AND status = 'error'", [outcome.captureID])
            let items = try BPFTestSupport.rows(store, "SELECT kind FROM evidence WHERE capture_id = ? AND kind = 'bpf.import'", [outcome.captureID])
            if errors.isEmpty {
                #expect(items.count == 1, "\(f.lastPathComponent) neither imported nor failed")
                imported += 1
            } else {
                failed += 1
                for e in errors {
                    #expect((e["data"] as String).contains(f.lastPathComponent), "the error does not name \(f.lastPathComponent): \(e["data"] as String)")
                }
            }
            // Known-invalid JSON is reported with its line and column.
            let knownInvalid = ["net-1.json", "perf-1.json", "cilium-issue-2184__endpoint-get-policy-fragment.json.txt",
                                "lkml-2019-06-06-bpftool-invalid-json__before-fix.json.txt"]
            if knownInvalid.contains(f.lastPathComponent) {
                #expect(errors.contains { ($0["data"] as String).contains("line") }, "\(f.lastPathComponent) should fail with a line number")
            }
        }
        #expect(imported >= 12 && failed >= 5, "imported \(imported), failed \(failed)")
    }

    @Test("comment lines in JSON dumps name the map and are blanked, so a JSON error keeps its line number")
    func commentsInJSONDumps() throws {
        let dir = try TestSupport.makeTempDir("vouch-bpf-import")
        try TestSupport.write("""
            \t # bpftool map dump pinned /sys/fs/bpf/tc/globals/cilium_policy_00412 -j\u{20}
            [{"key":["0x40","0x00","0x00","0x00","0x02","0x00","0x00","0x00","0x00","0x06","0x00","0x16"],
              "value":["0x00","0x00","0x00","0x00","0x00","0x00","0x00","0x00","0x00","0x00","0x00","0x00"]}]
            """, to: dir.appendingPathComponent("dump-a.json"))
        try TestSupport.write("# bpftool map dump id 9 -j\n#\n\n[{\"key\": [\"0x01\"],\n  \"value\": oops}]\n",
                              to: dir.appendingPathComponent("dump-b.json"))
        let (store, outcome) = try BPFTestSupport.collect(target: dir.path, options: ["host": "n1"])
        let cid = outcome.captureID
        let entries = try BPFTestSupport.rows(store, "SELECT * FROM cilium_policy_entry WHERE capture_id = ?", [cid])
        #expect(entries.map { "\($0.int("endpoint_id") ?? -1) \($0.str("direction") ?? "") \($0.int("identity") ?? -1) \($0.int("port") ?? -1)" }
                == ["412 ingress 2 22"])
        let errors = try BPFTestSupport.rows(store, "SELECT data FROM item WHERE status = 'error'", [])
        #expect(errors.count == 1)
        let message = errors.first?.str("data") ?? ""
        #expect(message.contains("dump-b.json") && message.contains("line 5"), "\(message)")
    }

    @Test("a target that is neither live nor a folder fails the source with a clear message")
    func badTarget() throws {
        let (_, outcome) = try BPFTestSupport.collect(target: "/nonexistent/vouch-bpf")
        #expect(outcome.sources.first?.status == "error")
        #expect(outcome.sources.first?.message?.contains("not a folder") == true)
    }
}
