import Foundation
import GRDB
import Testing
@testable import VouchCore
import VouchTestSupport

/// `Seal.factsDigest` reads columns with the SQLite API; sealed stores must still verify, so its
/// digest must stay the one the Swift-value version computed. That version is kept here as the reference.
@Suite struct FactsDigestTests {
    static func referenceDigest(_ db: Database, captureID: Int64) throws -> String {
        var h = FieldHasher(domain: "vouch.facts.v1")
        let tables = try String.fetchAll(db, sql: "SELECT name FROM fact_table ORDER BY name")
        for table in tables {
            h.add(table)
            guard try db.tableExists(table) else { h.add("missing"); continue }
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM \(table) WHERE capture_id = ? ORDER BY rowid", arguments: [captureID])
            while let row = try rows.next() {
                h.add(Int64(row.count))
                for value in row.databaseValues {
                    switch value.storage {
                    case .null: h.add(bytes: [], tag: 0x4E)
                    case .int64(let i): h.add(bytes: Array(String(i).utf8), tag: 0x49)
                    case .double(let d): h.add(bytes: Array(String(d.bitPattern).utf8), tag: 0x44)
                    case .string(let s): h.add(bytes: Array(s.utf8), tag: 0x53)
                    case .blob(let b): h.add(bytes: Array(b), tag: 0x42)
                    }
                }
            }
        }
        return h.finalizeHex()
    }

    @Test func digestMatchesTheSwiftValueDigest() throws {
        let dir = try TestSupport.makeTempDir("vouch-facts")
        let store = try EvidenceStore(path: dir.appendingPathComponent("v.db").path)
        try store.pool.write { db in
            try db.execute(sql: "CREATE TABLE zz_probe (capture_id INTEGER, a, b, c)")
            try db.execute(sql: "CREATE TABLE aa_probe (capture_id INTEGER, v)")
            try db.execute(sql: "CREATE INDEX aa_probe_capture ON aa_probe(capture_id, v)")
            try Schema.registerFactTable(db, name: "zz_probe", source: "test", description: "probe")
            try Schema.registerFactTable(db, name: "aa_probe", source: "test", description: "probe")
            try Schema.registerFactTable(db, name: "gone_probe", source: "test", description: "never created")
            let values: [DatabaseValue] = [
                .null, 0.databaseValue, (-1).databaseValue, Int64.min.databaseValue, Int64.max.databaseValue,
                0.0.databaseValue, (-0.0).databaseValue, 1.5.databaseValue, Double.nan.databaseValue, (-1e300).databaseValue,
                "".databaseValue, "plain ascii".databaseValue, "héllo wörld ✓".databaseValue, "a\r\nb".databaseValue,
                Data().databaseValue, Data([0, 1, 2, 255]).databaseValue, Data(repeating: 7, count: 70_000).databaseValue,
                String(repeating: "x", count: 100_000).databaseValue,
            ]
            for (i, v) in values.enumerated() {
                try db.execute(sql: "INSERT INTO zz_probe VALUES (1, ?, ?, ?)", arguments: [v, i, values[(i + 3) % values.count]])
                try db.execute(sql: "INSERT INTO aa_probe VALUES (?, ?)", arguments: [i % 2 + 1, v])
            }
            // Text GRDB reads with String(cString:): cut at a NUL, invalid UTF-8 repaired.
            try db.execute(sql: "INSERT INTO zz_probe VALUES (1, CAST(x'6869006869' AS TEXT), CAST(x'61ff62c3' AS TEXT), CAST(x'00' AS TEXT))")
            try db.execute(sql: "INSERT INTO zz_probe VALUES (1, CAST(x'c3a900' AS TEXT), CAST(x'eda080' AS TEXT), x'')")
            for i in 0..<5_000 {
                // Captures 1 and 4 interleave (rowid ranges overlap), in an order unlike the index's.
                try db.execute(sql: "INSERT INTO aa_probe VALUES (?, ?)",
                               arguments: [i % 3 == 0 ? 4 : 1, "row \(5_000 - i) " + String(repeating: "é", count: i % 7)])
            }
            try db.execute(sql: "DELETE FROM aa_probe WHERE rowid % 11 = 0")
        }
        try store.pool.read { db in
            for capture: Int64 in [1, 2, 3, 4] {
                let digest = try Seal.factsDigest(db, captureID: capture)
                #expect(digest == (try Self.referenceDigest(db, captureID: capture)))
            }
        }
    }
}
