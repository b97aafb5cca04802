import GRDB

extension Schema {
    /// Facts of the generic `files` source.
    static func registerFiles(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 files") { db in
            try db.execute(sql: """
                CREATE VIEW file_fact AS
                  SELECT e.capture_id, e.id AS evidence_id, e.target AS root, e.subject AS path,
                         json_extract(e.data, '$.type') AS type,
                         json_extract(e.data, '$.mode') AS mode,
                         json_extract(e.data, '$.size') AS size,
                         json_extract(e.data, '$.mtime') AS mtime,
                         json_extract(e.data, '$.sha256') AS sha256,
                         e.blob_sha256
                  FROM evidence e WHERE e.kind LIKE 'file%';
                """)
        }
    }
}
