import Foundation
import GRDB
import Testing
@testable import VouchCore
import VouchTestSupport

/// `EvidenceStore.withStore`: a missing store is built with its first capture inside, and appears
/// only once the capture is done.
@Suite struct FirstCaptureTests {
    let adder = ScriptedCollector.threeItems

    func files(_ dir: URL) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() }

    @Test func aFirstCaptureIsInsideTheStoreWhenItAppears() throws {
        let dir = try TestSupport.makeTempDir("vouch-first")
        let path = dir.appendingPathComponent("v.db").path
        let outcome = try EvidenceStore.withStore(path: path) { store in
            // Nothing at the path while the capture runs: the store is built beside it.
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(try files(dir).contains { $0.hasPrefix("v.db.creating-") })
            #expect(try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "memory")
            #expect(try store.pool.read { db in try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") } == true)
            return try CaptureRunner(store: store, collectors: [adder]).run([SourceRequest(source: "demo", target: "x")])
        }
        #expect(outcome.captureID == 1 && outcome.itemCount == 3)
        // Only the store itself: no temporary file, no WAL left.
        #expect(try files(dir) == ["v.db"])
        let store = try EvidenceStore(path: path)
        let (journal, version, integrity, seal) = try store.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA user_version"),
             try String.fetchAll(db, sql: "PRAGMA integrity_check"), try String.fetchOne(db, sql: "SELECT seal FROM capture WHERE id = 1"))
        }
        #expect(journal == "wal")
        #expect(version == Schema.migrator.migrations.count)
        #expect(integrity == ["ok"])
        #expect(seal == outcome.seal)
        let report = try Verifier(store: store).verify()
        #expect(report.isIntact, "\(report.problems)")
        #expect(report.captures == 1 && report.items == 3 && report.blobs == 3)
    }

    @Test func aFailedFirstCaptureLeavesNoStore() throws {
        let dir = try TestSupport.makeTempDir("vouch-first")
        let path = dir.appendingPathComponent("v.db").path
        #expect(throws: Boom.self) {
            try EvidenceStore.withStore(path: path) { store in
                _ = try CaptureRunner(store: store, collectors: [adder]).run([SourceRequest(source: "demo", target: "x")])
                throw Boom()
            }
        }
        #expect(try files(dir).isEmpty)
        // The next run builds it afresh.
        let outcome = try EvidenceStore.withStore(path: path) { store in
            try CaptureRunner(store: store, collectors: [adder]).run([SourceRequest(source: "demo", target: "y")])
        }
        #expect(outcome.captureID == 1)
    }

    /// A store in place takes the capture through its pool, chained to the ones before.
    @Test func anExistingStoreTakesTheCaptureInPlace() throws {
        let dir = try TestSupport.makeTempDir("vouch-first")
        let path = dir.appendingPathComponent("v.db").path
        let first = try EvidenceStore.withStore(path: path) { store in
            try CaptureRunner(store: store, collectors: [adder]).run([SourceRequest(source: "demo", target: "x")])
        }
        let second = try EvidenceStore.withStore(path: path) { store in
            #expect(store.pool is DatabasePool)
            return try CaptureRunner(store: store, collectors: [adder]).run([SourceRequest(source: "demo", target: "y")])
        }
        #expect(first.captureID == 1 && second.captureID == 2)
        let store = try EvidenceStore(path: path)
        #expect(try store.pool.read { try String.fetchOne($0, sql: "SELECT prev_seal FROM capture WHERE id = 2") } == first.seal)
        #expect(try Verifier(store: store).verify().isIntact)
    }

    /// Two runs that both find no store: one builds it, the other waits and captures into it.
    @Test func concurrentFirstCapturesBothLand() throws {
        let dir = try TestSupport.makeTempDir("vouch-first")
        let path = dir.appendingPathComponent("v.db").path
        let results = SizeLog()
        let errors = SizeLog()
        let adder = self.adder
        DispatchQueue.concurrentPerform(iterations: 2) { n in
            do {
                let o = try EvidenceStore.withStore(path: path) { store in
                    try CaptureRunner(store: store, collectors: [adder]).run([SourceRequest(source: "demo", target: "t\(n)")])
                }
                results.append(Int(o.captureID))
            } catch { errors.append(n) }
        }
        #expect(errors.values.isEmpty)
        #expect(results.values.sorted() == [1, 2])
        let report = try Verifier(store: EvidenceStore(path: path)).verify()
        #expect(report.isIntact, "\(report.problems)")
        #expect(report.captures == 2 && report.items == 6)
        #expect(try files(dir) == ["v.db"])
    }
}
