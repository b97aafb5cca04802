import GRDB

extension Schema {
    /// Facts of the `bpf` source: what the kernel runs (programs, maps, links, map contents)
    /// and Cilium's view of it (policy map entries, endpoints, identities).
    ///
    /// Column names are a contract for checks. Flags are 0/1 integers; lists that checks may
    /// need to join on have their own table (`bpf_program_map`, `bpf_pin`); `pinned` and
    /// `map_ids` also keep the whole list as a JSON array text for people reading a row.
    static func registerBPF(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 bpf") { db in
            try db.execute(sql: """
                CREATE TABLE bpf_program (
                  capture_id INTEGER NOT NULL, evidence_id INTEGER NOT NULL, host TEXT NOT NULL,
                  prog_id INTEGER NOT NULL, type TEXT NOT NULL, name TEXT, tag TEXT,
                  loaded_at TEXT, uid INTEGER, gpl_compatible INTEGER,
                  bytes_xlated INTEGER, bytes_jited INTEGER, jited INTEGER, bytes_memlock INTEGER,
                  map_ids TEXT, btf_id INTEGER, run_time_ns INTEGER, run_cnt INTEGER,
                  recursion_misses INTEGER, verified_insns INTEGER, pinned TEXT,
                  origin TEXT NOT NULL  -- 'live' or 'import'
                );
                CREATE INDEX bpf_program_capture ON bpf_program(capture_id, host, prog_id);
                CREATE TABLE bpf_program_map (
                  capture_id INTEGER NOT NULL, host TEXT NOT NULL, prog_id INTEGER NOT NULL, map_id INTEGER NOT NULL
                );
                CREATE INDEX bpf_program_map_capture ON bpf_program_map(capture_id, host, map_id);
                CREATE TABLE bpf_map (
                  capture_id INTEGER NOT NULL, evidence_id INTEGER NOT NULL, host TEXT NOT NULL,
                  map_id INTEGER,           -- NULL only for an imported dump whose map could not be identified
                  type TEXT NOT NULL, name TEXT,
                  key_size INTEGER, value_size INTEGER, max_entries INTEGER, flags INTEGER,
                  frozen INTEGER, btf_id INTEGER, btf_key_type_id INTEGER, btf_value_type_id INTEGER,
                  bytes_memlock INTEGER, pinned TEXT,
                  entry_count INTEGER,      -- every entry the kernel returned (NULL: contents not readable)
                  content_sha256 TEXT,      -- SHA-256 over all entries in key order (key bytes, then value bytes)
                  truncated INTEGER,        -- 1 when more entries exist than bpf_map_entry holds (the cap)
                  contents_note TEXT,       -- why contents are absent, if they are
                  cilium_kind TEXT,         -- 'policy', 'ipcache', 'lxc', other Cilium map, or NULL
                  endpoint_id INTEGER,      -- for Cilium per-endpoint maps, from the pinned name
                  origin TEXT NOT NULL
                );
                CREATE INDEX bpf_map_capture ON bpf_map(capture_id, host, map_id);
                CREATE TABLE bpf_pin (
                  capture_id INTEGER NOT NULL, host TEXT NOT NULL, path TEXT NOT NULL,
                  object_type TEXT NOT NULL, object_id INTEGER NOT NULL
                );
                CREATE TABLE bpf_link (
                  capture_id INTEGER NOT NULL, evidence_id INTEGER NOT NULL, host TEXT NOT NULL,
                  link_id INTEGER, type TEXT NOT NULL, prog_id INTEGER, attach_type TEXT,
                  target TEXT,              -- e.g. 'cgroup:1234', 'ifindex:2', 'netns:4026531840', 'btf:1/65037'
                  ifindex INTEGER, cgroup_id INTEGER, netns_ino INTEGER, target_obj_id INTEGER,
                  target_btf_id INTEGER, map_id INTEGER, pinned TEXT, origin TEXT NOT NULL
                );
                CREATE TABLE bpf_map_entry (
                  capture_id INTEGER NOT NULL, evidence_id INTEGER NOT NULL, host TEXT NOT NULL,
                  map_id INTEGER, seq INTEGER NOT NULL,
                  key_hex TEXT,             -- NULL only for imported BTF-only dumps (bpftool without -j)
                  value_hex TEXT,           -- per-CPU maps: every CPU's value, each padded to 8 bytes, CPU 0 first
                  decoded TEXT              -- JSON {"key":…,"value":…} through BTF or a known layout, else NULL
                );
                CREATE INDEX bpf_map_entry_capture ON bpf_map_entry(capture_id, host, map_id);
                CREATE TABLE cilium_policy_entry (
                  capture_id INTEGER NOT NULL, evidence_id INTEGER NOT NULL, host TEXT NOT NULL,
                  map_id INTEGER, endpoint_id INTEGER,
                  identity INTEGER NOT NULL,
                  direction TEXT NOT NULL CHECK (direction IN ('ingress', 'egress')),
                  protocol INTEGER NOT NULL,        -- IP protocol, 0 = any
                  port INTEGER NOT NULL,            -- host byte order, 0 = any
                  port_prefix_len INTEGER NOT NULL, -- 16 = exactly this port, 0 = any port
                  deny INTEGER NOT NULL,
                  proxy_port INTEGER NOT NULL,      -- host byte order, 0 = no L7 redirect
                  auth_type INTEGER NOT NULL,
                  cookie INTEGER, layout TEXT NOT NULL, key_hex TEXT
                );
                CREATE INDEX cilium_policy_entry_capture ON cilium_policy_entry(capture_id, endpoint_id);
                CREATE TABLE cilium_endpoint (
                  capture_id INTEGER NOT NULL, evidence_id INTEGER NOT NULL, host TEXT NOT NULL,
                  endpoint_id INTEGER NOT NULL, identity INTEGER, namespace TEXT, pod TEXT,
                  labels TEXT NOT NULL,     -- JSON array of 'source:key=value' strings (the identity's labels)
                  state TEXT, policy_enabled TEXT, ipv4 TEXT, ipv6 TEXT
                );
                CREATE TABLE cilium_identity (
                  capture_id INTEGER NOT NULL, evidence_id INTEGER NOT NULL,
                  identity INTEGER NOT NULL, labels TEXT NOT NULL, namespace TEXT
                );
                CREATE TABLE cilium_identity_label (
                  capture_id INTEGER NOT NULL, identity INTEGER NOT NULL,
                  label TEXT NOT NULL, label_source TEXT, label_key TEXT, label_value TEXT
                );
                """)
            for (name, what) in [
                ("bpf_program", "loaded BPF programs"), ("bpf_program_map", "maps each BPF program uses"),
                ("bpf_map", "BPF maps with a fingerprint of their whole contents"), ("bpf_pin", "objects pinned in bpffs"),
                ("bpf_link", "BPF links and their attach targets"), ("bpf_map_entry", "BPF map entries (up to the cap)"),
                ("cilium_policy_entry", "Cilium per-endpoint policy map entries, decoded"),
                ("cilium_endpoint", "Cilium endpoints (cilium-dbg endpoint list)"),
                ("cilium_identity", "Cilium security identities"), ("cilium_identity_label", "labels of Cilium identities"),
            ] {
                try Schema.registerFactTable(db, name: name, source: "bpf", description: what)
            }
        }
        // Derived from sealed facts after the capture (like the engine's results), so not part of the seal:
        // recomputed by `vouch policy verify` and `vouch evaluate`. Stored since "policy verification, compact"
        // as a view over compact tables (Schema+PolicyVerification.swift) with these columns.
        m.registerMigration("2026-11-25 policy verification") { db in
            try db.execute(sql: """
                CREATE TABLE policy_verification (
                  capture_id INTEGER NOT NULL, host TEXT, endpoint_id INTEGER, namespace TEXT, pod TEXT,
                  direction TEXT, identity INTEGER, protocol INTEGER, port INTEGER, port_prefix_len INTEGER,
                  expected TEXT,            -- allow | deny | allow+proxy | NULL (declared nowhere)
                  enforced TEXT,            -- allow | deny | allow+proxy:PORT | NULL (not in the map)
                  verdict TEXT NOT NULL CHECK (verdict IN ('match', 'unexpected', 'missing', 'mismatch', 'implicit', 'unverified')),
                  policies TEXT,            -- the declaring policies, Kind/namespace/name, comma-separated
                  reason TEXT,
                  entry TEXT                -- one readable line: direction, identity, protocol/port, verdict
                );
                CREATE INDEX policy_verification_capture ON policy_verification(capture_id, endpoint_id);
                """)
        }
    }
}
