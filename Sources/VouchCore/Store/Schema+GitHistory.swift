import GRDB

extension Schema {
    /// The git tables whose rows later captures build on: a commit's content, its changes and its
    /// state rows are written once, by the capture that first saw them (see `registerGit`).
    /// Pruning that capture keeps them while a later capture collects the same repository.
    public static let gitHistoryTables = ["git_change_row", "git_commit_row", "git_commit_state"]

    /// Columns added to fact tables after the version 1 facts digest: `Seal.factsDigestV1`
    /// leaves them out, so captures sealed before they existed still verify.
    public static let columnsAddedAfterDigestV1: [String: Set<String>] = [
        "git_commit_row": ["first_parent_main", "touches_infra", "signature_status", "signer"],
    ]

    /// Git history that outlives pruning, and a commit's first state on its own row.
    ///
    /// - The history tables lose their foreign key to `capture`: a pruned capture's rows stay
    ///   (their `capture_id` then names a pruning marker) and `capture_pruned` keeps what
    ///   `vouch verify` needs to check them: the manifest fields and per-table digests.
    /// - `git_commit_row` gains the state a commit had when it was first read. A first capture
    ///   then writes no `git_commit_state` rows (they were half of its writes); later state
    ///   changes still are rows there, and the view prefers the newest one.
    ///
    /// Rows are copied with their rowids and values, so seals over them still verify. The checks on
    /// closed vocabularies are spelled with OR, not IN: SQLite builds a temporary b-tree for an IN
    /// list on every execution of the statement, that is for every row inserted (about 2 µs each,
    /// measured: a third of the cost of a metadata-only first capture's inserts).
    static func registerGitHistory(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 git history outlives pruning") { db in
            try db.execute(sql: """
                DROP VIEW git_change;
                DROP VIEW git_commit;
                ALTER TABLE capture_pruned ADD COLUMN manifest_fields TEXT;  -- JSON: what the manifest hash covers
                ALTER TABLE capture_pruned ADD COLUMN table_digests TEXT;    -- JSON: table -> digest of its rows
                ALTER TABLE capture_pruned ADD COLUMN kept_tables TEXT;      -- JSON: tables whose rows were kept

                ALTER TABLE git_commit_row RENAME TO git_commit_row_v1;
                CREATE TABLE git_commit_row (
                  capture_id INTEGER NOT NULL,    -- the capture that first read it (may be pruned since)
                  evidence_id INTEGER,
                  repo TEXT NOT NULL,
                  id TEXT NOT NULL,
                  tree TEXT NOT NULL,
                  parents TEXT NOT NULL,          -- parent ids separated by spaces
                  parent_count INTEGER NOT NULL,
                  author_name TEXT NOT NULL,
                  author_email TEXT NOT NULL,
                  author_time TEXT NOT NULL,      -- ISO 8601 UTC
                  author_epoch INTEGER NOT NULL,
                  author_tz INTEGER NOT NULL,     -- offset from UTC in minutes
                  committer_name TEXT NOT NULL,
                  committer_email TEXT NOT NULL,
                  committer_time TEXT NOT NULL,
                  committer_epoch INTEGER NOT NULL,
                  committer_tz INTEGER NOT NULL,
                  summary TEXT NOT NULL,
                  message TEXT NOT NULL,          -- safe text (\\xNN for bytes that are not UTF-8)
                  message_sha256 TEXT NOT NULL,   -- of the raw message bytes
                  encoding TEXT,
                  signature_type TEXT NOT NULL CHECK (signature_type = 'none' OR signature_type = 'gpg' OR signature_type = 'ssh'
                                                      OR signature_type = 'x509' OR signature_type = 'unknown'),
                  trailers TEXT NOT NULL DEFAULT '{}',
                  review_count INTEGER NOT NULL,  -- Reviewed-by and Approved-by trailers
                  is_merge INTEGER NOT NULL,
                  pr_number INTEGER,
                  pr_source TEXT,                 -- github-merge | squash | gitlab | bitbucket
                  merged_author_email TEXT,       -- a merge's second parent's author
                  merger_differs INTEGER NOT NULL,
                  shallow INTEGER NOT NULL,       -- 1 when its parents are cut off by a shallow clone
                  change_count INTEGER,
                  additions INTEGER,
                  deletions INTEGER,
                  changes_read INTEGER NOT NULL,  -- 0 when its changes could not be read (see the error item)
                  -- The state when first read (NULL: its first state is a git_commit_state row).
                  first_parent_main INTEGER,
                  touches_infra INTEGER,
                  signature_status TEXT CHECK (signature_status = 'unverified' OR signature_status = 'good'
                                               OR signature_status = 'bad' OR signature_status = 'unknown-key'),
                  signer TEXT
                );
                INSERT INTO git_commit_row(rowid, capture_id, evidence_id, repo, id, tree, parents, parent_count,
                  author_name, author_email, author_time, author_epoch, author_tz, committer_name, committer_email,
                  committer_time, committer_epoch, committer_tz, summary, message, message_sha256, encoding, signature_type,
                  trailers, review_count, is_merge, pr_number, pr_source, merged_author_email, merger_differs, shallow,
                  change_count, additions, deletions, changes_read)
                SELECT rowid, capture_id, evidence_id, repo, id, tree, parents, parent_count,
                  author_name, author_email, author_time, author_epoch, author_tz, committer_name, committer_email,
                  committer_time, committer_epoch, committer_tz, summary, message, message_sha256, encoding, signature_type,
                  trailers, review_count, is_merge, pr_number, pr_source, merged_author_email, merger_differs, shallow,
                  change_count, additions, deletions, changes_read
                FROM git_commit_row_v1 ORDER BY rowid;
                DROP TABLE git_commit_row_v1;
                CREATE UNIQUE INDEX git_commit_row_key ON git_commit_row(repo, id);
                CREATE INDEX git_commit_row_capture ON git_commit_row(capture_id);

                ALTER TABLE git_change_row RENAME TO git_change_row_v1;
                CREATE TABLE git_change_row (
                  capture_id INTEGER NOT NULL,    -- the capture that first read the commit (may be pruned since)
                  repo TEXT NOT NULL,
                  commit_id TEXT NOT NULL,
                  path TEXT NOT NULL,
                  status TEXT NOT NULL,
                  old_path TEXT,
                  additions INTEGER,
                  deletions INTEGER,
                  binary INTEGER NOT NULL,
                  too_large INTEGER NOT NULL,     -- 1 when line stats were skipped past the size limit
                  old_mode INTEGER,
                  new_mode INTEGER,
                  old_blob TEXT,
                  new_blob TEXT,
                  similarity INTEGER
                );
                INSERT INTO git_change_row(rowid, capture_id, repo, commit_id, path, status, old_path, additions, deletions,
                  binary, too_large, old_mode, new_mode, old_blob, new_blob, similarity)
                SELECT rowid, capture_id, repo, commit_id, path, status, old_path, additions, deletions,
                  binary, too_large, old_mode, new_mode, old_blob, new_blob, similarity
                FROM git_change_row_v1 ORDER BY rowid;
                DROP TABLE git_change_row_v1;
                CREATE INDEX git_change_row_commit ON git_change_row(repo, commit_id);
                CREATE INDEX git_change_row_capture ON git_change_row(capture_id);

                ALTER TABLE git_commit_state RENAME TO git_commit_state_v1;
                CREATE TABLE git_commit_state (
                  capture_id INTEGER NOT NULL,    -- may name a pruned capture
                  repo TEXT NOT NULL,
                  commit_id TEXT NOT NULL,
                  present INTEGER NOT NULL,
                  first_parent_main INTEGER NOT NULL,
                  touches_infra INTEGER NOT NULL,
                  signature_status TEXT NOT NULL CHECK (signature_status = 'unverified' OR signature_status = 'good'
                                                        OR signature_status = 'bad' OR signature_status = 'unknown-key'),
                  signer TEXT
                );
                INSERT INTO git_commit_state(rowid, capture_id, repo, commit_id, present, first_parent_main, touches_infra,
                  signature_status, signer)
                SELECT rowid, capture_id, repo, commit_id, present, first_parent_main, touches_infra, signature_status, signer
                FROM git_commit_state_v1 ORDER BY rowid;
                DROP TABLE git_commit_state_v1;
                CREATE INDEX git_commit_state_key ON git_commit_state(repo, commit_id, capture_id);
                CREATE INDEX git_commit_state_capture ON git_commit_state(capture_id);
                CREATE INDEX git_commit_state_repo ON git_commit_state(repo, capture_id);

                -- A commit as of a capture: every commit row first read at or before it, with its newest
                -- state row at or before it, or else the state it was first read with.
                CREATE VIEW git_commit AS
                  SELECT cr.capture_id AS capture_id, c.evidence_id AS evidence_id, c.repo AS repo, c.id AS id,
                         c.tree AS tree, c.parents AS parents, c.parent_count AS parent_count,
                         c.author_name AS author_name, c.author_email AS author_email, c.author_time AS author_time,
                         c.author_epoch AS author_epoch, c.committer_name AS committer_name,
                         c.committer_email AS committer_email, c.committer_time AS committer_time,
                         c.committer_epoch AS committer_epoch, c.summary AS summary, c.message_sha256 AS message_sha256,
                         c.signature_type AS signature_type,
                         CASE WHEN s.commit_id IS NULL THEN c.signature_status ELSE s.signature_status END AS signature_status,
                         CASE WHEN s.commit_id IS NULL THEN c.signer ELSE s.signer END AS signer,
                         c.trailers AS trailers, c.review_count AS review_count, c.is_merge AS is_merge,
                         c.pr_number AS pr_number, c.pr_source AS pr_source,
                         CASE WHEN s.commit_id IS NULL THEN c.first_parent_main ELSE s.first_parent_main END AS first_parent_main,
                         CASE WHEN (CASE WHEN s.commit_id IS NULL THEN c.first_parent_main ELSE s.first_parent_main END) = 1
                                   AND c.is_merge = 0 AND c.pr_number IS NULL THEN 1 ELSE 0 END AS direct_push,
                         CASE WHEN s.commit_id IS NULL THEN c.touches_infra ELSE s.touches_infra END AS touches_infra,
                         c.merged_author_email AS merged_author_email,
                         c.merger_differs AS merger_differs, c.shallow AS shallow, c.change_count AS change_count,
                         c.additions AS additions, c.deletions AS deletions, c.message AS message, c.encoding AS encoding,
                         c.capture_id AS first_capture_id
                  FROM git_capture_repo cr
                  JOIN git_commit_row c ON c.repo = cr.repo AND c.capture_id <= cr.capture_id
                  LEFT JOIN git_commit_state s
                    ON s.repo = c.repo AND s.commit_id = c.id
                   AND s.capture_id = (SELECT max(s2.capture_id) FROM git_commit_state s2
                                       WHERE s2.repo = c.repo AND s2.commit_id = c.id AND s2.capture_id <= cr.capture_id)
                  WHERE CASE WHEN s.commit_id IS NULL THEN c.first_parent_main IS NOT NULL ELSE s.present = 1 END;

                CREATE VIEW git_change AS
                  SELECT gc.capture_id AS capture_id, ch.repo AS repo, ch.commit_id AS commit_id, ch.path AS path,
                         ch.status AS status, ch.old_path AS old_path, ch.additions AS additions,
                         ch.deletions AS deletions, ch.binary AS binary, ch.too_large AS too_large,
                         ch.old_mode AS old_mode, ch.new_mode AS new_mode, ch.old_blob AS old_blob,
                         ch.new_blob AS new_blob, ch.similarity AS similarity
                  FROM git_commit gc
                  JOIN git_change_row ch ON ch.repo = gc.repo AND ch.commit_id = gc.id
                  WHERE NOT EXISTS (SELECT 1 FROM git_capture_path p WHERE p.capture_id = gc.capture_id AND p.repo = gc.repo)
                     OR EXISTS (SELECT 1 FROM git_capture_path p
                                WHERE p.capture_id = gc.capture_id AND p.repo = gc.repo
                                  AND (substr(ch.path, 1, length(p.prefix)) = p.prefix
                                       OR substr(coalesce(ch.old_path, ''), 1, length(p.prefix)) = p.prefix));
                """)
        }
    }
}
