import GRDB

extension Schema {
    /// Facts of the `retention` source: how long metrics and logs are kept, wherever it is declared.
    static func registerRetention(_ m: inout DatabaseMigrator) {
        m.registerMigration("2026-11-25 retention") { db in
            try db.execute(sql: """
                -- One row per retention setting found (a flag, a config field, an operator object, a live instance).
                CREATE TABLE retention_setting (
                  capture_id INTEGER NOT NULL REFERENCES capture(id),
                  evidence_id INTEGER NOT NULL REFERENCES item(id),
                  system TEXT NOT NULL CHECK (system IN ('prometheus', 'thanos', 'loki')),
                  component TEXT NOT NULL,        -- tsdb | compactor | receive | ruler | agent
                  instance TEXT NOT NULL,         -- object (namespace/name), unit or file, or host:port
                  resolution TEXT CHECK (resolution IN ('raw', '5m', '1h')),
                  duration_seconds INTEGER,       -- NULL: no time limit given (see unlimited) or unresolved
                  duration_ms INTEGER,
                  size_bytes INTEGER,             -- NULL: no size limit
                  unlimited INTEGER NOT NULL,     -- 1: kept forever (0d on Thanos, retention disabled on Loki, no limit)
                  unresolved INTEGER NOT NULL,    -- 1: the value is a ${VAR}, $(VAR) or {{ }} placeholder
                  is_default INTEGER NOT NULL,    -- 1: nothing was written; the documented default applies
                  setting TEXT NOT NULL,          -- the flag or field, e.g. --storage.tsdb.retention.time
                  raw TEXT,                       -- the value as written
                  origin TEXT NOT NULL            -- file:line or URL
                );
                CREATE INDEX retention_setting_sys ON retention_setting(capture_id, system, component);
                """)
            try registerFactTable(db, name: "retention_setting", source: "retention",
                                  description: "metrics and log retention of Prometheus, Thanos and Loki (files and live)")
        }
    }
}
