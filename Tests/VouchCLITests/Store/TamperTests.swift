import Foundation
import Testing
import VouchTestSupport

/// `vouch verify` against a store edited behind its back with the real sqlite3 CLI.
@Suite struct TamperTests {
    /// Three captures of a small tree, each after a change, so there is a middle capture to delete.
    func threeCaptures() throws -> (dir: URL, db: URL) {
        let dir = try TestSupport.makeTempDir("tamper")
        let etc = dir.appendingPathComponent("etc")
        try TestSupport.write("PermitRootLogin no\n", to: etc.appendingPathComponent("sshd_config"))
        try TestSupport.write("retention: 400d\n", to: etc.appendingPathComponent("prometheus.yml"))
        let db = dir.appendingPathComponent("vouch.db")
        for i in 0..<3 {
            try TestSupport.write("generation \(i)\n", to: etc.appendingPathComponent("generation"))
            let r = try TestSupport.vouch(["collect", "--store", db.path, "--source", "files=\(etc.path)"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        return (dir, db)
    }

    func verify(_ db: URL) throws -> TestSupport.RunResult { try TestSupport.vouch(["verify", "--store", db.path]) }

    @Test func untouchedStoreVerifies() throws {
        let (_, db) = try threeCaptures()
        let r = try verify(db)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("intact: 3 captures"))
    }

    @Test func oneByteOfABlobChanged() throws {
        let (_, db) = try threeCaptures()
        try TestSupport.sqlite(db, """
            UPDATE blob_chunk SET data = CAST('PermitRootLogin yes' || char(10) AS BLOB)
            WHERE blob_id = (SELECT b.id FROM blob b JOIN item i ON i.blob_sha256 = b.sha256 WHERE i.subject = 'sshd_config');
            """)
        let r = try verify(db)
        #expect(r.status == 1)
        #expect(r.stdout.contains("first: capture 1, item file sshd_config: its raw artifact is damaged"), "\(r.stdout)")
    }

    @Test func oneItemsDataEdited() throws {
        let (_, db) = try threeCaptures()
        try TestSupport.sqlite(db, "UPDATE item SET data = replace(data, '\"mode\":\"0644\"', '\"mode\":\"0600\"') WHERE subject = 'prometheus.yml';")
        let r = try verify(db)
        #expect(r.status == 1)
        #expect(r.stdout.contains("first: capture 1, item file prometheus.yml: its recorded fields no longer match"), "\(r.stdout)")
    }

    @Test func oneItemDeleted() throws {
        let (_, db) = try threeCaptures()
        // The generation file differs per capture: delete capture 2's copy only.
        try TestSupport.sqlite(db, "DELETE FROM item WHERE id = (SELECT id FROM evidence WHERE capture_id = 2 AND subject = 'generation');")
        let r = try verify(db)
        #expect(r.status == 1)
        #expect(r.stdout.contains("first: capture 2, item file generation: the item was deleted"), "\(r.stdout)")
    }

    @Test func middleCaptureDeleted() throws {
        let (_, db) = try threeCaptures()
        try TestSupport.sqlite(db, "DELETE FROM capture_source WHERE capture_id = 2; DELETE FROM capture WHERE id = 2;")
        let r = try verify(db)
        #expect(r.status == 1)
        #expect(r.stdout.contains("first: capture 2: capture 2 is missing"), "\(r.stdout)")
        #expect(r.stdout.contains("capture 3: chain broken"), "\(r.stdout)")
    }

    @Test func sourceListEditedOrSealForged() throws {
        let (_, db) = try threeCaptures()
        try TestSupport.sqlite(db, "UPDATE capture SET host = 'elsewhere' WHERE id = 3;")
        let r = try verify(db)
        #expect(r.status == 1)
        #expect(r.stdout.contains("first: capture 3: its manifest does not match"), "\(r.stdout)")
    }

    @Test func verifyOfAMissingStoreIsAUsageError() throws {
        let dir = try TestSupport.makeTempDir("tamper")
        let r = try TestSupport.vouch(["verify", "--store", dir.appendingPathComponent("none.db").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("cannot open the evidence store"))
    }
}
