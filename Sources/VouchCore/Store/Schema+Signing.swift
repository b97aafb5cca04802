import GRDB

extension Schema {
    /// Ed25519 signatures over capture seals. Written after a capture is sealed (never part of
    /// its seal), one row per capture and key.
    static func registerSigning(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 signing") { db in
            try db.execute(sql: """
                CREATE TABLE capture_signature (
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  key_id TEXT NOT NULL,
                  public_key TEXT NOT NULL,   -- base64 of the raw 32-byte Ed25519 public key
                  signature TEXT NOT NULL,    -- base64 of the 64-byte signature over CaptureSigning.message
                  signed_at TEXT NOT NULL,
                  PRIMARY KEY (capture_id, key_id)
                ) WITHOUT ROWID;
                """)
        }
    }
}
