import GRDB

/// The store's schema: migrations are frozen history. Never edit one that has
/// shipped; add a new one. Each area keeps its migrations in its own
/// `Schema+Area.swift` file and is listed once in `migrator`.
public enum Schema {
    /// All migrations, in the order they were introduced.
    public static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        registerCore(&m)
        registerAreas(&m)
        return m
    }

    /// The area migrations. One line per area; the order is history.
    static func registerAreas(_ m: inout DatabaseMigrator) {
        registerFiles(&m)
        registerEngine(&m)
        registerNetworkPolicy(&m)
        registerRetention(&m)
        registerEngine2(&m)
        registerNixOS(&m)
        registerGit(&m)
        registerBPF(&m)
        registerTalos(&m)
        registerSigning(&m)
        registerPolicyVerificationStorage(&m)
        registerGitHistory(&m)
        // Each area adds its line here: registerTalos(&m), registerNixOS(&m), registerGit(&m), …
    }

    /// Declares a fact table: its rows are covered by the capture seal and `vouch verify`.
    /// Call it in the migration that creates the table. Fact tables must be rowid tables
    /// with a `capture_id` column.
    public static func registerFactTable(_ db: Database, name: String, source: String, description: String) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO fact_table(name, source, description) VALUES (?, ?, ?)",
            arguments: [name, source, description])
    }

    static func registerCore(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 core") { db in
            try db.execute(sql: """
                CREATE TABLE capture (
                  id INTEGER PRIMARY KEY,
                  started_at TEXT NOT NULL,
                  finished_at TEXT NOT NULL,
                  host TEXT NOT NULL,
                  tool_version TEXT NOT NULL,
                  profile_sha256 TEXT,
                  item_count INTEGER NOT NULL,
                  error_count INTEGER NOT NULL,
                  facts_sha256 TEXT NOT NULL,
                  manifest_sha256 TEXT NOT NULL,
                  prev_seal TEXT NOT NULL,
                  seal TEXT NOT NULL UNIQUE
                );
                -- Captures removed by a retention policy: what went, so the chain still verifies.
                CREATE TABLE capture_pruned (
                  id INTEGER PRIMARY KEY,
                  seal TEXT NOT NULL,
                  prev_seal TEXT NOT NULL,
                  manifest_sha256 TEXT NOT NULL,
                  started_at TEXT NOT NULL,
                  pruned_at TEXT NOT NULL,
                  reason TEXT NOT NULL
                );
                -- Content-addressed raw artifacts, stored in chunks so any size streams.
                CREATE TABLE blob (
                  id INTEGER PRIMARY KEY,
                  sha256 TEXT NOT NULL UNIQUE,
                  size INTEGER NOT NULL
                );
                CREATE TABLE blob_chunk (
                  blob_id INTEGER NOT NULL REFERENCES blob(id),
                  seq INTEGER NOT NULL,
                  data BLOB NOT NULL,
                  PRIMARY KEY (blob_id, seq)
                );
                -- Evidence items, content-addressed: an unchanged item is stored once.
                CREATE TABLE item (
                  id INTEGER PRIMARY KEY,
                  sha256 TEXT NOT NULL UNIQUE,
                  source TEXT NOT NULL,
                  kind TEXT NOT NULL,
                  subject TEXT NOT NULL,
                  origin TEXT NOT NULL,
                  data TEXT NOT NULL,
                  blob_sha256 TEXT,
                  status TEXT NOT NULL CHECK (status IN ('ok', 'error'))
                );
                CREATE INDEX item_kind ON item(kind, subject);
                -- The items one source gave in one run; identical sets are shared by captures.
                CREATE TABLE item_set (
                  id INTEGER PRIMARY KEY,
                  sha256 TEXT NOT NULL UNIQUE,
                  item_count INTEGER NOT NULL
                );
                CREATE TABLE item_set_member (
                  set_id INTEGER NOT NULL REFERENCES item_set(id),
                  seq INTEGER NOT NULL,
                  item_id INTEGER NOT NULL REFERENCES item(id),
                  kind TEXT NOT NULL,
                  subject TEXT NOT NULL,
                  PRIMARY KEY (set_id, seq)
                ) WITHOUT ROWID;
                CREATE INDEX item_set_member_item ON item_set_member(item_id);
                CREATE TABLE capture_source (
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  seq INTEGER NOT NULL,
                  source TEXT NOT NULL,
                  target TEXT NOT NULL,
                  set_id INTEGER NOT NULL REFERENCES item_set(id),
                  status TEXT NOT NULL CHECK (status IN ('ok', 'partial', 'error')),
                  item_count INTEGER NOT NULL,
                  error_count INTEGER NOT NULL,
                  started_at TEXT NOT NULL,
                  finished_at TEXT NOT NULL,
                  PRIMARY KEY (capture_id, seq)
                ) WITHOUT ROWID;
                CREATE INDEX capture_source_set ON capture_source(set_id);
                -- The fact tables whose rows each capture seal covers.
                CREATE TABLE fact_table (
                  name TEXT PRIMARY KEY,
                  source TEXT NOT NULL,
                  description TEXT NOT NULL
                );
                -- Evidence as captures hold it: the public query surface.
                CREATE VIEW evidence AS
                  SELECT i.id AS id, cs.capture_id AS capture_id, cs.seq AS source_seq, m.seq AS seq,
                         i.source AS source, cs.target AS target, i.kind AS kind, i.subject AS subject,
                         i.origin AS origin, i.data AS data, i.blob_sha256 AS blob_sha256,
                         i.sha256 AS sha256, cs.started_at AS collected_at, i.status AS status
                  FROM capture_source cs
                  JOIN item_set_member m ON m.set_id = cs.set_id
                  JOIN item i ON i.id = m.item_id;
                """)
        }
    }
}
