import CLibBPF
import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

/// The live collector against real kernel objects this test creates (root only).
@Suite("BPFLive", .serialized)
struct BPFLiveTests {
    @Test("live collection reports exactly the maps, program, pins and Cilium policy entries the test created")
    func liveObjects() throws {
        if let why = KernelFixtures.unavailableReason { TestSupport.skip(why); return }
        try KernelFixtures.withBpffs { fs in
            // A hash map (batch lookup), an array, an LPM trie (get_next_key) and a per-CPU hash.
            let hash = try KernelFixtures.createMap(BPF_MAP_TYPE_HASH, name: "vouch_t_hash", keySize: 4, valueSize: 8, maxEntries: 16)
            defer { close(hash) }
            var hashEntries: [(key: [UInt8], value: [UInt8])] = []
            for k: UInt32 in [3, 1, 300] {
                let e = (KernelFixtures.le32(k), KernelFixtures.le32(k * 7) + [0, 0, 0, 9])
                try KernelFixtures.update(hash, key: e.0, value: e.1)
                hashEntries.append(e)
            }
            let array = try KernelFixtures.createMap(BPF_MAP_TYPE_ARRAY, name: "vouch_t_array", keySize: 4, valueSize: 4, maxEntries: 4)
            defer { close(array) }
            try KernelFixtures.update(array, key: KernelFixtures.le32(2), value: KernelFixtures.le32(0xABCD))
            let arrayEntries = (0..<4).map { (KernelFixtures.le32(UInt32($0)), KernelFixtures.le32($0 == 2 ? 0xABCD : 0)) }
            let lpm = try KernelFixtures.createMap(BPF_MAP_TYPE_LPM_TRIE, name: "vouch_t_lpm", keySize: 8, valueSize: 4,
                                                   maxEntries: 8, flags: UInt32(BPF_F_NO_PREALLOC))
            defer { close(lpm) }
            let lpmEntries: [(key: [UInt8], value: [UInt8])] = [
                (KernelFixtures.le32(24) + [10, 1, 2, 0], KernelFixtures.le32(1)),
                (KernelFixtures.le32(32) + [192, 168, 0, 7], KernelFixtures.le32(2)),
            ]
            for e in lpmEntries { try KernelFixtures.update(lpm, key: e.key, value: e.value) }
            let cpus = Int(libbpf_num_possible_cpus())
            let pcpu = try KernelFixtures.createMap(BPF_MAP_TYPE_PERCPU_HASH, name: "vouch_t_pcpu", keySize: 4, valueSize: 4, maxEntries: 4)
            defer { close(pcpu) }
            var pcpuValue: [UInt8] = []
            for c in 0..<cpus { pcpuValue += KernelFixtures.le32(UInt32(100 + c)) + [0, 0, 0, 0] }
            try KernelFixtures.update(pcpu, key: KernelFixtures.le32(5), value: pcpuValue)

            // A map in Cilium's current policy layout, pinned with Cilium's name (the kernel keeps 15 characters).
            let policy = try KernelFixtures.createMap(BPF_MAP_TYPE_LPM_TRIE, name: "cilium_policy_v", keySize: 12, valueSize: 12,
                                                      maxEntries: 64, flags: UInt32(BPF_F_NO_PREALLOC))
            defer { close(policy) }
            let planted = [
                CiliumPolicyLayout.encodeCurrent(identity: 1234, egress: false, proto: 6, port: 80),
                CiliumPolicyLayout.encodeCurrent(identity: 2, egress: true, proto: 0, port: 0, deny: true),
                CiliumPolicyLayout.encodeCurrent(identity: 5678, egress: false, proto: 6, port: 8080, proxyPort: 15001, cookie: 7),
                CiliumPolicyLayout.encodeCurrent(identity: 0, egress: true, proto: 17, port: 53),
            ]
            for e in planted { try KernelFixtures.update(policy, key: e.key, value: e.value) }
            try FileManager.default.createDirectory(at: fs.appendingPathComponent("tc/globals"), withIntermediateDirectories: true)
            let policyPin = fs.appendingPathComponent("tc/globals/cilium_policy_v2_04242").path
            try KernelFixtures.pin(policy, at: policyPin)

            let prog = try KernelFixtures.loadSocketFilter(name: "vouch_t_filter", mapFD: hash)
            defer { close(prog) }
            let progPin = fs.appendingPathComponent("vouch_prog").path
            try KernelFixtures.pin(prog, at: progPin)

            let ids = (hash: KernelFixtures.id(hash), array: KernelFixtures.id(array), lpm: KernelFixtures.id(lpm),
                       pcpu: KernelFixtures.id(pcpu), policy: KernelFixtures.id(policy), prog: KernelFixtures.id(prog))
            let (store, outcome) = try BPFTestSupport.collect(target: "live")
            #expect(outcome.sources.first?.status != "error", "\(outcome.sources)")
            let cid = outcome.captureID

            func map(_ id: UInt32) throws -> Row? {
                try BPFTestSupport.rows(store, "SELECT * FROM bpf_map WHERE capture_id = ? AND map_id = ?", [cid, id]).first
            }
            let h = try #require(try map(ids.hash))
            #expect(h.str("type") == "hash" && h.int("key_size") == 4 && h.int("value_size") == 8 && h.int("max_entries") == 16)
            #expect(h.str("name") == "vouch_t_hash")
            #expect(h.int("entry_count") == 3 && h.int("truncated") == 0)
            #expect(h.str("content_sha256") == BPFTestSupport.contentSHA(hashEntries))
            let a = try #require(try map(ids.array))
            #expect(a.int("entry_count") == 4 && a.str("content_sha256") == BPFTestSupport.contentSHA(arrayEntries))
            let l = try #require(try map(ids.lpm))
            #expect(l.str("type") == "lpm_trie" && l.int("flags") == 1 && l.int("entry_count") == 2)
            #expect(l.str("content_sha256") == BPFTestSupport.contentSHA(lpmEntries))
            let p = try #require(try map(ids.pcpu))
            #expect(p.str("type") == "percpu_hash" && p.int("entry_count") == 1)
            #expect(p.str("content_sha256") == BPFTestSupport.contentSHA([(KernelFixtures.le32(5), pcpuValue)]))
            let pol = try #require(try map(ids.policy))
            #expect(pol.str("cilium_kind") == "policy" && pol.int("endpoint_id") == 4242)
            #expect(pol.str("pinned") == JSONValue.array([.string(policyPin)]).canonicalText)

            // Entry rows: the hash map's exact keys and values; the LPM trie read by walking keys.
            let entries = try BPFTestSupport.rows(store, "SELECT key_hex, value_hex FROM bpf_map_entry WHERE capture_id = ? AND map_id = ? ORDER BY seq", [cid, ids.hash])
            #expect(entries.map { $0["key_hex"] as String } == hashEntries.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { BPFTestSupport.hex($0.key) })
            #expect(Set(entries.map { $0["value_hex"] as String }) == Set(hashEntries.map { BPFTestSupport.hex($0.value) }))
            let methods = try BPFTestSupport.rows(store, """
                SELECT json_extract(data, '$.read_method') AS m, json_extract(data, '$.id') AS id FROM evidence
                WHERE capture_id = ? AND kind = 'bpf.map' AND json_extract(data, '$.id') IN (?, ?)
                """, [cid, ids.hash, ids.lpm])
            #expect(Dictionary(uniqueKeysWithValues: methods.map { ($0["id"] as Int64, $0["m"] as String) })
                    == [Int64(ids.hash): "batch", Int64(ids.lpm): "get_next_key"])

            // The program: its type, name, map reference and pin.
            let pr = try #require(try BPFTestSupport.rows(store, "SELECT * FROM bpf_program WHERE capture_id = ? AND prog_id = ?", [cid, ids.prog]).first)
            #expect(pr.str("type") == "socket_filter" && pr.str("name") == "vouch_t_filter" && pr.int("gpl_compatible") == 1)
            #expect((pr["tag"] as String?)?.count == 16 && pr.int("uid") == 0)
            #expect(pr.str("map_ids") == "[\(ids.hash)]")
            #expect(pr.str("pinned") == JSONValue.array([.string(progPin)]).canonicalText)
            let loaded = try #require(Timestamp.parse(pr["loaded_at"] as String))
            #expect(abs(loaded.timeIntervalSinceNow) < 120)
            #expect(try BPFTestSupport.rows(store, "SELECT 1 FROM bpf_program_map WHERE capture_id = ? AND prog_id = ? AND map_id = ?",
                                            [cid, ids.prog, ids.hash]).count == 1)

            // Cilium policy entries, decoded from the kernel's bytes: exactly the planted four.
            let pe = try BPFTestSupport.rows(store, """
                SELECT identity, direction, protocol, port, port_prefix_len, deny, proxy_port, cookie FROM cilium_policy_entry
                WHERE capture_id = ? AND map_id = ? ORDER BY identity
                """, [cid, ids.policy])
            let got = pe.map { "\($0["identity"] as Int64) \($0["direction"] as String) \($0["protocol"] as Int64)/\($0["port"] as Int64)/\($0["port_prefix_len"] as Int64) deny=\($0["deny"] as Int64) proxy=\($0["proxy_port"] as Int64)" }
            #expect(got == ["0 egress 17/53/16 deny=0 proxy=0", "2 egress 0/0/0 deny=1 proxy=0",
                            "1234 ingress 6/80/16 deny=0 proxy=0", "5678 ingress 6/8080/16 deny=0 proxy=15001"])
            #expect(try BPFTestSupport.rows(store, "SELECT 1 FROM cilium_policy_entry WHERE capture_id = ? AND map_id = ? AND endpoint_id = 4242",
                                            [cid, ids.policy]).count == 4)
        }
    }

    @Test("the entry cap limits rows, never the fingerprint")
    func entryCap() throws {
        if let why = KernelFixtures.unavailableReason { TestSupport.skip(why); return }
        let fd = try KernelFixtures.createMap(BPF_MAP_TYPE_HASH, name: "vouch_t_cap", keySize: 4, valueSize: 4, maxEntries: 64)
        defer { close(fd) }
        var all: [(key: [UInt8], value: [UInt8])] = []
        for k in 0..<50 as Range<UInt32> {
            let e = (KernelFixtures.le32(k * 13), KernelFixtures.le32(k))
            try KernelFixtures.update(fd, key: e.0, value: e.1)
            all.append(e)
        }
        let id = KernelFixtures.id(fd)
        let (store, outcome) = try BPFTestSupport.collect(target: "live", options: ["entry_cap": 10, "map_ids": [.int(Int64(id))]])
        let m = try #require(try BPFTestSupport.rows(store, "SELECT * FROM bpf_map WHERE capture_id = ? AND map_id = ?", [outcome.captureID, id]).first)
        #expect(m.int("entry_count") == 50 && m.int("truncated") == 1)
        #expect(m.str("content_sha256") == BPFTestSupport.contentSHA(all))
        let n = try BPFTestSupport.rows(store, "SELECT count(*) AS n FROM bpf_map_entry WHERE capture_id = ? AND map_id = ?", [outcome.captureID, id])
        #expect(n.first?.int("n") == 10)
        // map_ids restricts the maps collected.
        let others = try BPFTestSupport.rows(store, "SELECT count(*) AS n FROM bpf_map WHERE capture_id = ? AND map_id <> ?", [outcome.captureID, id])
        #expect(others.first?.int("n") == 0)
    }

    @Test("keys and values are decoded through the map's BTF")
    func btfDecoding() throws {
        if let why = KernelFixtures.unavailableReason { TestSupport.skip(why); return }
        guard let btf = btf__new_empty() else { Issue.record("btf__new_empty failed"); return }
        defer { btf__free(btf) }
        let u32 = btf__add_int(btf, "unsigned int", 4, 0)
        let char = btf__add_int(btf, "char", 1, Int32(BTF_INT_CHAR))
        let arr = btf__add_array(btf, u32, char, 8)
        let s = btf__add_struct(btf, "vouch_val", 12)
        #expect(btf__add_field(btf, "count", u32, 0, 0) == 0)
        #expect(btf__add_field(btf, "name", arr, 32, 0) == 0)
        guard btf__load_into_kernel(btf) == 0 else { TestSupport.skip("the kernel refused the test BTF"); return }
        let fd = try KernelFixtures.createMap(BPF_MAP_TYPE_HASH, name: "vouch_t_btf", keySize: 4, valueSize: 12, maxEntries: 4,
                                              btfFD: btf__fd(btf), btfKey: UInt32(u32), btfValue: UInt32(s))
        defer { close(fd) }
        try KernelFixtures.update(fd, key: KernelFixtures.le32(7), value: KernelFixtures.le32(42) + Array("hello".utf8) + [0, 0, 0])
        let id = KernelFixtures.id(fd)
        let (store, outcome) = try BPFTestSupport.collect(target: "live", options: ["map_ids": [.int(Int64(id))]])
        let row = try #require(try BPFTestSupport.rows(store, "SELECT decoded FROM bpf_map_entry WHERE capture_id = ? AND map_id = ?", [outcome.captureID, id]).first)
        #expect(try JSONValue.parse(row["decoded"] as String) == JSONValue.object(["key": 7, "value": .object(["count": 42, "name": "hello"])]))
        let m = try #require(try BPFTestSupport.rows(store, "SELECT btf_id FROM bpf_map WHERE capture_id = ? AND map_id = ?", [outcome.captureID, id]).first)
        #expect((m["btf_id"] as Int64?) ?? 0 > 0)
    }
}
