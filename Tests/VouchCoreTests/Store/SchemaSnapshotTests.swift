import Foundation
import GRDB
import Testing
@testable import VouchCore
import VouchTestSupport

/// New stores are built from `Schema.snapshot` instead of running every migration: it must build
/// exactly what the migrations build.
@Suite struct SchemaSnapshotTests {
    /// A database made the way `EvidenceStore` makes a new one (32 KiB pages, no foreign keys while
    /// building), by the migrations or by a script.
    func build(_ url: URL, script: String?) throws -> DatabaseQueue {
        var config = Configuration()
        config.foreignKeysEnabled = false
        let q = try DatabaseQueue(path: url.path, configuration: config)
        try q.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA page_size = 32768") }
        if let script { try q.write { db in try db.execute(sql: script) } } else { try Schema.migrator.migrate(q) }
        return q
    }

    /// Everything a database holds: its schema entries and every row of every table, rowids and
    /// SQLite's own `sqlite_sequence` included.
    func contents(_ q: DatabaseQueue) throws -> [String] {
        try q.read { db in
            var out = try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")
                .map { "\($0["type"] as String) \($0["name"] as String) on \($0["tbl_name"] as String): \($0["sql"] as String? ?? "-")" }
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            for t in tables {
                let withRowid = try SchemaSnapshot.hasRowid(db, table: t)
                let rows = try Row.fetchAll(db, sql: "SELECT \(withRowid ? "rowid, " : "")* FROM \(t.quotedDatabaseIdentifier) ORDER BY 1")
                out += rows.map { "\(t): \($0.databaseValues.map(\.description).joined(separator: " | "))" }
            }
            return out
        }
    }

    /// The committed script is what the migrations build now. After adding a migration, run
    /// `make schema-snapshot` (it sets VOUCH_WRITE_SCHEMA_SNAPSHOT=1 and writes the file again).
    @Test func theSnapshotIsCurrent() throws {
        let dir = try TestSupport.makeTempDir("vouch-snapshot")
        let migrated = try build(dir.appendingPathComponent("migrated.db"), script: nil)
        let script = try migrated.read { db in try SchemaSnapshot.script(of: db) }
        let migrations = Schema.migrator.migrations
        let current = Schema.snapshot.migrations == migrations && Schema.snapshot.sql == script
        if !current, ProcessInfo.processInfo.environment["VOUCH_WRITE_SCHEMA_SNAPSHOT"] == "1" {
            let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Sources/VouchCore/Store/Schema+Snapshot.swift")
            try SchemaSnapshot.source(migrations: migrations, script: script).write(to: file, atomically: true, encoding: .utf8)
            print("wrote \(file.path): rebuild and run the tests again")
            return
        }
        #expect(current, "Schema+Snapshot.swift is not what the migrations build: run `make schema-snapshot`")
        #expect(Schema.snapshot.isCurrent(for: Schema.migrator))
        // It holds the whole schema and the rows the migrations insert.
        #expect(script.contains("CREATE TABLE git_commit_row ("))
        #expect(script.contains("INSERT INTO \"grdb_migrations\""))
        #expect(script.contains("INSERT INTO \"fact_table\""))
    }

    /// A database built from the script holds exactly what a migrated one holds, is consistent, and
    /// counts as fully migrated.
    @Test func theScriptBuildsWhatTheMigrationsBuild() throws {
        let dir = try TestSupport.makeTempDir("vouch-snapshot")
        let migrated = try build(dir.appendingPathComponent("migrated.db"), script: nil)
        let script = try migrated.read { db in try SchemaSnapshot.script(of: db) }
        let scripted = try build(dir.appendingPathComponent("scripted.db"), script: script)
        let expected = try contents(migrated)
        #expect(expected.count > 100)
        #expect(try contents(scripted) == expected)
        let (complete, integrity, foreignKeyErrors) = try scripted.read { db in
            (try Schema.migrator.hasCompletedMigrations(db), try String.fetchAll(db, sql: "PRAGMA integrity_check"),
             try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count)
        }
        #expect(complete)
        #expect(integrity == ["ok"])
        #expect(foreignKeyErrors == 0)
    }

    /// A new store comes from the snapshot (when current) and opens as fully migrated; a store
    /// made by the migrations (as older versions made them) holds the same.
    @Test func aNewStoreIsBuiltFromTheSnapshot() throws {
        guard Schema.snapshot.isCurrent(for: Schema.migrator) else {
            Issue.record("the snapshot is not current: run `make schema-snapshot`")
            return
        }
        let dir = try TestSupport.makeTempDir("vouch-snapshot")
        let store = try EvidenceStore(path: dir.appendingPathComponent("v.db").path)
        let migrated = try build(dir.appendingPathComponent("migrated.db"), script: nil)
        let (complete, pageSize, userVersion, journal, foreignKeys) = try store.pool.read { db in
            (try Schema.migrator.hasCompletedMigrations(db), try Int.fetchOne(db, sql: "PRAGMA page_size"),
             try Int.fetchOne(db, sql: "PRAGMA user_version"), try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try Bool.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(complete)
        #expect(pageSize == 32768)
        #expect(userVersion == Schema.migrator.migrations.count)
        #expect(journal == "wal")
        #expect(foreignKeys == true)
        let schema = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name"
        let fromStore = try store.pool.read { db in try Row.fetchAll(db, sql: schema).map(\.description) }
        let fromMigrations = try migrated.read { db in try Row.fetchAll(db, sql: schema).map(\.description) }
        #expect(fromStore == fromMigrations)
    }
}
