import GRDB

extension Schema {
    /// More engine results, so reports can be re-rendered from the store alone: the store
    /// verification each evaluation ran, and the check and control definitions it used.
    static func registerEngine2(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 engine 2") { db in
            try db.execute(sql: """
                -- What `vouch verify` found when the evaluation ran (problems up to the evaluated capture).
                CREATE TABLE store_verification (
                  evaluation_id INTEGER NOT NULL REFERENCES evaluation(id) ON DELETE CASCADE,
                  capture_id INTEGER NOT NULL,
                  captures INTEGER NOT NULL,
                  items INTEGER NOT NULL,
                  blobs INTEGER NOT NULL,
                  problem_count INTEGER NOT NULL,
                  first_problem TEXT
                );
                CREATE INDEX store_verification_eval ON store_verification(evaluation_id);
                -- The checks as they were when evaluated.
                CREATE TABLE evaluation_check (
                  evaluation_id INTEGER NOT NULL REFERENCES evaluation(id) ON DELETE CASCADE,
                  check_id TEXT NOT NULL,
                  title TEXT NOT NULL,
                  severity TEXT NOT NULL,
                  sources TEXT NOT NULL,      -- JSON list
                  controls TEXT NOT NULL,     -- JSON list of control ids that use the check
                  inputs TEXT NOT NULL,       -- JSON {name: value} as bound
                  remediation TEXT NOT NULL,
                  sql_sha256 TEXT NOT NULL,
                  duration_ms INTEGER NOT NULL,
                  PRIMARY KEY (evaluation_id, check_id)
                ) WITHOUT ROWID;
                -- The controls' guidance and expected attestation as they were when evaluated.
                CREATE TABLE evaluation_control (
                  evaluation_id INTEGER NOT NULL REFERENCES evaluation(id) ON DELETE CASCADE,
                  control_id TEXT NOT NULL,
                  seq INTEGER NOT NULL,
                  guidance TEXT NOT NULL,
                  manual TEXT,
                  PRIMARY KEY (evaluation_id, control_id)
                ) WITHOUT ROWID;
                ALTER TABLE evaluation ADD COLUMN framework TEXT;
                ALTER TABLE evaluation ADD COLUMN catalog_origin TEXT;
                """)
        }
    }
}
