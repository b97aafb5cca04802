import GRDB

extension Schema {
    /// Facts of the `nixos` source: option assignments, flake inputs, system generations.
    static func registerNixOS(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 nixos") { db in
            try db.execute(sql: """
                -- One row per option assignment found in a host's modules (after following imports).
                -- value: JSON (or, when evaluated = 0, the JSON string of the expression's source text);
                -- value_text: the plain scalar (string without quotes, number, true/false) for portable checks.
                CREATE TABLE nixos_option (
                  id INTEGER PRIMARY KEY,
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  evidence_id INTEGER NOT NULL REFERENCES item(id),
                  host TEXT NOT NULL,
                  path TEXT NOT NULL,
                  value TEXT NOT NULL,
                  value_text TEXT,
                  value_type TEXT NOT NULL,
                  file TEXT NOT NULL,
                  line INTEGER NOT NULL,
                  col INTEGER NOT NULL,
                  condition TEXT,
                  priority INTEGER NOT NULL,
                  evaluated INTEGER NOT NULL,
                  secret INTEGER NOT NULL DEFAULT 0,
                  legacy_path TEXT,
                  -- 1 when no other assignment of this path on this host has a stronger (lower) priority;
                  -- conditions are not evaluated, so a conditional row can be effective too.
                  effective INTEGER NOT NULL DEFAULT 1,
                  source_text TEXT
                );
                CREATE INDEX nixos_option_path ON nixos_option(capture_id, path);
                -- One row per locked node of a flake.lock (the root excluded).
                CREATE TABLE nix_input (
                  id INTEGER PRIMARY KEY,
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  evidence_id INTEGER NOT NULL REFERENCES item(id),
                  name TEXT NOT NULL,
                  type TEXT,
                  owner TEXT,
                  repo TEXT,
                  url TEXT,
                  rev TEXT,
                  nar_hash TEXT,
                  last_modified INTEGER,
                  ref TEXT,
                  lock_file TEXT NOT NULL,
                  direct INTEGER NOT NULL,
                  is_flake INTEGER NOT NULL,
                  inputs TEXT NOT NULL
                );
                -- One row per system generation (profiles folder or `nixos-rebuild list-generations --json`).
                CREATE TABLE nixos_generation (
                  id INTEGER PRIMARY KEY,
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  evidence_id INTEGER NOT NULL REFERENCES item(id),
                  host TEXT NOT NULL,
                  generation INTEGER NOT NULL,
                  created_at TEXT,
                  current INTEGER NOT NULL,
                  nixos_version TEXT,
                  kernel_version TEXT,
                  configuration_revision TEXT,
                  store_path TEXT,
                  specialisations TEXT NOT NULL
                );
                """)
            try registerFactTable(db, name: "nixos_option", source: "nixos",
                                  description: "NixOS option assignments: path, value (JSON), value_text, file:line, mkIf condition, priority, evaluated")
            try registerFactTable(db, name: "nix_input", source: "nixos",
                                  description: "flake.lock inputs: type, owner/repo or url, locked rev, narHash, lastModified")
            try registerFactTable(db, name: "nixos_generation", source: "nixos",
                                  description: "NixOS system generations: number, creation time, current, NixOS and kernel versions, configuration revision")
        }
    }
}
