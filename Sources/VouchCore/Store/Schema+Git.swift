import GRDB

extension Schema {
    /// Facts of the `git` source.
    ///
    /// Commits are stored once per repository, not once per capture: the base tables
    /// (`git_commit_row`, `git_change_row`) hold each commit's immutable content, with
    /// `capture_id` = the capture that first read it, so that capture's seal covers the row
    /// and later captures never rewrite it. What depends on the capture (is the commit still
    /// reachable, on main's first-parent line, touching the filtered paths, its signature
    /// status under the capture's trust) lives in append-only state rows (`git_commit_state`):
    /// a capture writes a row only for commits whose state changed. The public views
    /// `git_commit` and `git_change` join a capture's `git_capture_repo` link with the
    /// newest state at or before it, so every capture answers "all commits as of this capture".
    static func registerGit(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 git") { db in
            try db.execute(sql: """
                -- One row per capture and repository: the link that makes the views answer for this capture.
                CREATE TABLE git_capture_repo (
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  evidence_id INTEGER,
                  repo TEXT NOT NULL,
                  path TEXT NOT NULL,
                  head TEXT,
                  main_ref TEXT,
                  main_head TEXT,
                  scope TEXT NOT NULL,                     -- JSON: "all" or the branch patterns walked
                  path_filters TEXT NOT NULL DEFAULT '[]', -- JSON list of path prefixes
                  trust_sha256 TEXT,                       -- digest of the allowed-signers file and keyring
                  config_sha256 TEXT NOT NULL,
                  tips TEXT NOT NULL,                      -- JSON sorted list of the commit ids walked from
                  shallow INTEGER NOT NULL,
                  shallow_boundary TEXT NOT NULL DEFAULT '[]',
                  commit_count INTEGER NOT NULL,
                  new_commit_count INTEGER NOT NULL,
                  error_count INTEGER NOT NULL,
                  complete INTEGER NOT NULL,               -- 1 when every reachable commit was read
                  UNIQUE (capture_id, repo)
                );
                CREATE INDEX git_capture_repo_repo ON git_capture_repo(repo, capture_id);
                -- The path prefixes of a capture (for the git_change view).
                CREATE TABLE git_capture_path (
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  repo TEXT NOT NULL,
                  prefix TEXT NOT NULL
                );
                CREATE INDEX git_capture_path_capture ON git_capture_path(capture_id, repo);
                -- Immutable commit content; capture_id = the capture that first read it.
                CREATE TABLE git_commit_row (
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
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
                  signature_type TEXT NOT NULL CHECK (signature_type IN ('none', 'gpg', 'ssh', 'x509', 'unknown')),
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
                  changes_read INTEGER NOT NULL   -- 0 when its changes could not be read (see the error item)
                );
                CREATE UNIQUE INDEX git_commit_row_key ON git_commit_row(repo, id);
                CREATE INDEX git_commit_row_capture ON git_commit_row(capture_id);
                -- Immutable per-file changes against the first parent (all paths; the view applies filters).
                CREATE TABLE git_change_row (
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
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
                CREATE INDEX git_change_row_commit ON git_change_row(repo, commit_id);
                CREATE INDEX git_change_row_capture ON git_change_row(capture_id);
                -- Capture-dependent state of a commit, written only when it changes.
                CREATE TABLE git_commit_state (
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  repo TEXT NOT NULL,
                  commit_id TEXT NOT NULL,
                  present INTEGER NOT NULL,
                  first_parent_main INTEGER NOT NULL,
                  touches_infra INTEGER NOT NULL,
                  signature_status TEXT NOT NULL CHECK (signature_status IN ('unverified', 'good', 'bad', 'unknown-key')),
                  signer TEXT
                );
                CREATE INDEX git_commit_state_key ON git_commit_state(repo, commit_id, capture_id);
                CREATE INDEX git_commit_state_capture ON git_commit_state(capture_id);
                CREATE INDEX git_commit_state_repo ON git_commit_state(repo, capture_id);
                CREATE TABLE git_ref (
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  evidence_id INTEGER,
                  repo TEXT NOT NULL,
                  name TEXT NOT NULL,
                  target TEXT,
                  type TEXT NOT NULL,             -- branch | remote | tag | note | head | other
                  peeled TEXT,                    -- the commit an annotated tag points to
                  symbolic TEXT                   -- the ref a symbolic ref points to
                );
                CREATE INDEX git_ref_capture ON git_ref(capture_id, repo);

                CREATE VIEW git_commit AS
                  SELECT cr.capture_id AS capture_id, c.evidence_id AS evidence_id, c.repo AS repo, c.id AS id,
                         c.tree AS tree, c.parents AS parents, c.parent_count AS parent_count,
                         c.author_name AS author_name, c.author_email AS author_email, c.author_time AS author_time,
                         c.author_epoch AS author_epoch, c.committer_name AS committer_name,
                         c.committer_email AS committer_email, c.committer_time AS committer_time,
                         c.committer_epoch AS committer_epoch, c.summary AS summary, c.message_sha256 AS message_sha256,
                         c.signature_type AS signature_type, s.signature_status AS signature_status, s.signer AS signer,
                         c.trailers AS trailers, c.review_count AS review_count, c.is_merge AS is_merge,
                         c.pr_number AS pr_number, c.pr_source AS pr_source, s.first_parent_main AS first_parent_main,
                         CASE WHEN s.first_parent_main = 1 AND c.is_merge = 0 AND c.pr_number IS NULL THEN 1 ELSE 0 END
                           AS direct_push,
                         s.touches_infra AS touches_infra, c.merged_author_email AS merged_author_email,
                         c.merger_differs AS merger_differs, c.shallow AS shallow, c.change_count AS change_count,
                         c.additions AS additions, c.deletions AS deletions, c.message AS message, c.encoding AS encoding,
                         c.capture_id AS first_capture_id
                  FROM git_capture_repo cr
                  JOIN git_commit_state s ON s.repo = cr.repo AND s.capture_id <= cr.capture_id
                  JOIN git_commit_row c ON c.repo = s.repo AND c.id = s.commit_id
                  WHERE s.present = 1
                    AND s.capture_id = (SELECT max(s2.capture_id) FROM git_commit_state s2
                                        WHERE s2.repo = s.repo AND s2.commit_id = s.commit_id
                                          AND s2.capture_id <= cr.capture_id);

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
            try registerFactTable(db, name: "git_capture_repo", source: "git",
                                  description: "one row per capture and repository: head, tips, scope, shallow boundary, counts")
            try registerFactTable(db, name: "git_capture_path", source: "git", description: "the path filters of a capture")
            try registerFactTable(db, name: "git_commit_row", source: "git",
                                  description: "commit content, stored once per repository (capture_id = first read); query the git_commit view")
            try registerFactTable(db, name: "git_change_row", source: "git",
                                  description: "per-file changes of a commit against its first parent; query the git_change view")
            try registerFactTable(db, name: "git_commit_state", source: "git",
                                  description: "capture-dependent commit state, written when it changes")
            try registerFactTable(db, name: "git_ref", source: "git", description: "the refs of a repository in a capture")
        }
    }
}
