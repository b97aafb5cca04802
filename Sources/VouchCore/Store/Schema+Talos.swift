import GRDB

extension Schema {
    /// Facts of the `talos` source: every setting of every machine config, one posture row per node, and patches.
    ///
    /// The column names are a public contract (checks and reports query them). Flags are 0/1
    /// integers; lists a check may test are comma-joined text (`talos_api_access_roles`) or JSON
    /// text (`time_servers`, `log_destinations`). Secrets never appear: their values are `sha256:` fingerprints.
    static func registerTalos(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 talos") { db in
            try db.execute(sql: """
                -- Every scalar (and empty list/map) of every document, flattened to a path.
                -- path: keys joined with '.', list elements as [i], keys that are not plain words as ["key"],
                -- e.g. machine.network.interfaces[0].dhcp, machine.sysctls["net.ipv4.ip_forward"].
                -- value: JSON (strings as written; secrets as "sha256:…"; SOPS values as "ENC[…]" placeholder).
                CREATE TABLE talos_setting (
                  capture_id INTEGER NOT NULL,
                  evidence_id INTEGER NOT NULL,
                  node TEXT NOT NULL,
                  file TEXT NOT NULL,
                  source_type TEXT NOT NULL,
                  document TEXT NOT NULL,
                  path TEXT NOT NULL,
                  value TEXT NOT NULL,
                  raw TEXT,
                  secret INTEGER NOT NULL DEFAULT 0,
                  encrypted INTEGER NOT NULL DEFAULT 0,
                  line INTEGER
                );
                CREATE INDEX talos_setting_path ON talos_setting(capture_id, path);

                -- The security posture of one node's config, normalized across config versions.
                CREATE TABLE talos_node (
                  capture_id INTEGER NOT NULL,
                  evidence_id INTEGER NOT NULL,
                  node TEXT NOT NULL,
                  file TEXT NOT NULL,
                  source_type TEXT NOT NULL CHECK (source_type IN ('declared', 'live')),
                  origin TEXT NOT NULL,
                  machine_type TEXT,
                  talos_version TEXT,
                  kubernetes_version TEXT,
                  config_style TEXT NOT NULL,
                  document_count INTEGER NOT NULL,
                  complete INTEGER NOT NULL,
                  sops_encrypted INTEGER NOT NULL,
                  secret_count INTEGER NOT NULL,
                  install_image TEXT,
                  install_disk TEXT,
                  state_encrypted INTEGER NOT NULL,
                  state_encryption_provider TEXT,
                  state_encryption_keys TEXT,
                  ephemeral_encrypted INTEGER NOT NULL,
                  ephemeral_encryption_provider TEXT,
                  ephemeral_encryption_keys TEXT,
                  time_sync_enabled INTEGER NOT NULL,
                  time_servers TEXT NOT NULL,
                  time_server_count INTEGER NOT NULL,
                  time_nts INTEGER NOT NULL,
                  log_destination_count INTEGER NOT NULL,
                  log_destinations TEXT NOT NULL,
                  kmsg_log_count INTEGER NOT NULL,
                  event_sink_count INTEGER NOT NULL,
                  kube_proxy_disabled INTEGER NOT NULL,
                  cni_name TEXT,
                  pod_security_enforce TEXT,
                  pod_security_audit TEXT,
                  pod_security_warn TEXT,
                  apiserver_audit_policy INTEGER NOT NULL,
                  secrets_encryption INTEGER NOT NULL,
                  secrets_encryption_providers TEXT,
                  kubelet_cert_rotation INTEGER NOT NULL,
                  kubelet_seccomp_default INTEGER NOT NULL,
                  rbac_enabled INTEGER,
                  firewall_default_ingress TEXT,
                  firewall_rule_count INTEGER NOT NULL,
                  firewall_open_world INTEGER NOT NULL,
                  firewall_open_world_rules TEXT,
                  talos_api_access_enabled INTEGER NOT NULL,
                  talos_api_access_roles TEXT,
                  talos_api_access_namespaces TEXT,
                  image_verification INTEGER NOT NULL,
                  image_verification_rule_count INTEGER NOT NULL,
                  workload_isolation INTEGER NOT NULL,
                  kubespan_enabled INTEGER NOT NULL,
                  discovery_enabled INTEGER NOT NULL
                );
                CREATE INDEX talos_node_node ON talos_node(capture_id, node);

                -- Patches (talosctl --config-patch files, talhelper patches): what they change.
                -- patch_type: json6902 | strategic; op: add/remove/replace/move/copy/test for json6902,
                -- merge or delete ($patch: delete) for strategic merges.
                CREATE TABLE talos_patch (
                  capture_id INTEGER NOT NULL,
                  evidence_id INTEGER NOT NULL,
                  file TEXT NOT NULL,
                  scope TEXT NOT NULL,
                  patch_index INTEGER NOT NULL,
                  patch_type TEXT NOT NULL,
                  op TEXT NOT NULL,
                  document TEXT NOT NULL,
                  path TEXT NOT NULL,
                  value TEXT,
                  secret INTEGER NOT NULL DEFAULT 0,
                  encrypted INTEGER NOT NULL DEFAULT 0
                );
                """)
            try registerFactTable(db, name: "talos_setting", source: "talos",
                                  description: "every setting of every Talos machine config document, flattened to a path")
            try registerFactTable(db, name: "talos_node", source: "talos",
                                  description: "one row per Talos node config: security posture normalized across versions")
            try registerFactTable(db, name: "talos_patch", source: "talos",
                                  description: "Talos config patches (JSON 6902 and strategic merge) and what they change")
        }
    }
}
