import GRDB

extension Schema {
    /// Facts of the `netpol` source: declared network policy, one row per rule part, and a
    /// per-namespace summary. Column names are a contract for checks and the policy verifier.
    static func registerNetworkPolicy(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 netpol") { db in
            try db.execute(sql: """
                -- One row per (rule, peer, port group) of a NetworkPolicy / CiliumNetworkPolicy /
                -- CiliumClusterwideNetworkPolicy. A rule with several peers gives several rows (they are OR'ed).
                -- subject and peer are canonical JSON (README "Network policies"); ports is a JSON list of
                -- {port, end_port, protocol} ('[]' = every port); l7 is JSON or NULL.
                CREATE TABLE policy_rule (
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  evidence_id INTEGER NOT NULL REFERENCES item(id),
                  kind TEXT NOT NULL,
                  namespace TEXT,                 -- NULL for clusterwide policies
                  policy TEXT NOT NULL,
                  spec_index INTEGER NOT NULL,    -- index in Cilium `specs` (0 for `spec`)
                  rule_index INTEGER NOT NULL,    -- index in the direction's rule list
                  direction TEXT NOT NULL CHECK (direction IN ('ingress', 'egress')),
                  action TEXT NOT NULL CHECK (action IN ('allow', 'deny')),
                  subject TEXT NOT NULL,          -- canonical selector JSON of the selected pods (or nodes)
                  subject_type TEXT NOT NULL CHECK (subject_type IN ('pods', 'nodes')),
                  subject_all INTEGER NOT NULL,   -- 1: selects every pod of its namespace (clusterwide: of the cluster)
                  peer_type TEXT NOT NULL,        -- all|pod|namespace|namespace_pod|endpoint|entity|cidr|fqdn|service|node|group
                  peer TEXT NOT NULL,             -- canonical JSON
                  peer_namespace TEXT,            -- the namespace a pod/endpoint peer is confined to, NULL = any
                  peer_world INTEGER NOT NULL,    -- 1: the peer includes addresses outside the cluster
                  ports TEXT NOT NULL,
                  all_ports INTEGER NOT NULL,     -- 1: no port restriction
                  l7 TEXT,
                  auth TEXT,                      -- Cilium `auth.type`, if any
                  origin TEXT NOT NULL            -- file:line of the object
                );
                CREATE INDEX policy_rule_ns ON policy_rule(capture_id, namespace);
                CREATE INDEX policy_rule_policy ON policy_rule(capture_id, kind, policy);
                -- One row per namespace known from Namespace objects, the profile or the policies.
                CREATE TABLE namespace_policy (
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  namespace TEXT NOT NULL,
                  default_deny_ingress INTEGER NOT NULL,
                  default_deny_egress INTEGER NOT NULL,
                  allows_world_ingress INTEGER NOT NULL,
                  allows_world_egress INTEGER NOT NULL,
                  allow_all_ingress INTEGER NOT NULL,
                  allow_all_egress INTEGER NOT NULL,
                  policy_count INTEGER NOT NULL,
                  known_from TEXT NOT NULL,       -- namespace|profile|policy (first that named it)
                  evidence_id INTEGER REFERENCES item(id)  -- the Namespace object, when one was read
                );
                CREATE INDEX namespace_policy_ns ON namespace_policy(capture_id, namespace);
                """)
            try registerFactTable(db, name: "policy_rule", source: "netpol",
                                  description: "declared network policy rules (Kubernetes and Cilium), one row per rule, peer and port group")
            try registerFactTable(db, name: "namespace_policy", source: "netpol",
                                  description: "per-namespace network policy summary: default deny, world exposure, policy count")
        }
    }
}
