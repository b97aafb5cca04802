import GRDB

extension Schema {
    /// Results of `vouch evaluate`: written after a capture is sealed, so not part of its seal.
    /// Reports, drift and CI read these tables; their names and columns are a contract.
    static func registerEngine(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 engine") { db in
            try db.execute(sql: """
                CREATE TABLE evaluation (
                  id INTEGER PRIMARY KEY,
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  evaluated_at TEXT NOT NULL,
                  catalog_sha256 TEXT NOT NULL,
                  profile_sha256 TEXT,
                  tool_version TEXT NOT NULL
                );
                CREATE INDEX evaluation_capture ON evaluation(capture_id);
                -- One row per check and resource: status pass|fail|error|skip|manual|info.
                CREATE TABLE check_result (
                  id INTEGER PRIMARY KEY,
                  evaluation_id INTEGER NOT NULL REFERENCES evaluation(id) ON DELETE CASCADE,
                  capture_id INTEGER NOT NULL,
                  check_id TEXT NOT NULL,
                  resource TEXT NOT NULL,
                  status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'error', 'skip', 'manual', 'info')),
                  reason TEXT NOT NULL,
                  severity TEXT,
                  evidence TEXT NOT NULL DEFAULT '[]',  -- JSON list of evidence item ids
                  exception TEXT                        -- JSON {reason, approver, expires, expired} when one applies
                );
                CREATE INDEX check_result_eval ON check_result(evaluation_id, check_id);
                -- One row per Annex A control per evaluation. status: implemented | partially_implemented |
                -- not_implemented | manual_attested | manual_pending | not_applicable | no_evidence
                CREATE TABLE control_result (
                  evaluation_id INTEGER NOT NULL REFERENCES evaluation(id) ON DELETE CASCADE,
                  capture_id INTEGER NOT NULL,
                  control_id TEXT NOT NULL,
                  title TEXT NOT NULL,
                  theme TEXT NOT NULL,
                  applicable INTEGER NOT NULL,
                  justification TEXT,
                  status TEXT NOT NULL,
                  checks TEXT NOT NULL DEFAULT '[]',  -- JSON list of check ids
                  attestation TEXT,                  -- JSON, when a manual attestation applies
                  pass_count INTEGER NOT NULL DEFAULT 0,
                  fail_count INTEGER NOT NULL DEFAULT 0,
                  error_count INTEGER NOT NULL DEFAULT 0,
                  PRIMARY KEY (evaluation_id, control_id)
                ) WITHOUT ROWID;
                -- The Statement of Applicability: the newest evaluation of each capture.
                CREATE VIEW soa AS
                  SELECT r.capture_id, r.control_id, r.title, r.theme, r.applicable, r.justification, r.status,
                         r.checks, r.attestation
                  FROM control_result r
                  WHERE r.evaluation_id = (SELECT max(e.id) FROM evaluation e WHERE e.capture_id = r.capture_id);
                """)
        }
    }
}
