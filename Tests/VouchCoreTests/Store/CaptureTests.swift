import Foundation
import GRDB
import Testing
@testable import VouchCore
import VouchTestSupport

/// A collector defined by the test: it adds what it is told, so the store's behaviour is seen alone.
struct ScriptedCollector: Collector {
    let source: String
    let targetSyntax = "NAME"
    let summary = "test collector"
    let body: @Sendable (CollectRequest, CaptureSink) throws -> Void
    func collect(_ request: CollectRequest, into sink: CaptureSink) throws { try body(request, sink) }
}

extension ScriptedCollector {
    /// Source `demo`: three items with a blob each, named after the target.
    static let threeItems = ScriptedCollector(source: "demo") { req, sink in
        for i in 0..<3 {
            let blob = try sink.storeBlob(Data("content \(i) \(req.target)".utf8))
            try sink.add(EvidenceItem(kind: "demo.thing", subject: "\(req.target)/\(i)", origin: "test", data: ["i": .int(Int64(i))], blobSHA256: blob))
        }
    }
}

/// A counter the read-ahead thread can bump.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

/// Values a collector's closure records.
final class SizeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int] = []
    func append(_ v: Int) { lock.lock(); list.append(v); lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return list }
}

struct Boom: Error, LocalizedError { var errorDescription: String? { "the source exploded (token s3cr3t-t0ken-value)" } }

@Suite struct CaptureTests {
    func store() throws -> (EvidenceStore, URL) {
        let dir = try makeDir()
        return (try EvidenceStore(path: dir.appendingPathComponent("v.db").path), dir)
    }

    func makeDir() throws -> URL {
        try TestSupport.makeTempDir("vouch-core")
    }

    let adder = ScriptedCollector.threeItems

    @Test func captureSealsChainsAndVerifies() throws {
        let (store, _) = try store()
        let runner = CaptureRunner(store: store, collectors: [adder])
        let a = try runner.run([SourceRequest(source: "demo", target: "x")])
        let b = try runner.run([SourceRequest(source: "demo", target: "y")])
        #expect(a.captureID == 1 && b.captureID == 2)
        #expect(a.itemCount == 3 && a.errorCount == 0)
        let prev = try store.pool.read { try String.fetchOne($0, sql: "SELECT prev_seal FROM capture WHERE id = 2") }
        #expect(prev == a.seal)
        let report = try Verifier(store: store).verify()
        #expect(report.isIntact, "\(report.problems)")
        #expect(report.captures == 2 && report.items == 6)
        let evidence = try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM evidence WHERE capture_id = 2") }
        #expect(evidence == 3)
    }

    /// A source's larger page cache lasts until the capture commits (shrinking it earlier spilled
    /// the uncommitted rows to the WAL), and the size before the capture comes back after it.
    @Test func anEnlargedPageCacheLastsUntilTheCaptureCommits() throws {
        let (store, _) = try store()
        let sizes = SizeLog()
        let big = ScriptedCollector(source: "big") { _, sink in
            try sink.withPageCache(kibibytes: 8 << 10) {
                sizes.append(try Int.fetchOne(sink.db, sql: "PRAGMA cache_size")!)
                try sink.add(EvidenceItem(kind: "demo.thing", subject: "s", origin: "test", data: [:]))
            }
            sizes.append(try Int.fetchOne(sink.db, sql: "PRAGMA cache_size")!)
            // A smaller request never shrinks it.
            try sink.withPageCache(kibibytes: 1 << 10) { sizes.append(try Int.fetchOne(sink.db, sql: "PRAGMA cache_size")!) }
        }
        let before = try store.pool.write { try Int.fetchOne($0, sql: "PRAGMA cache_size")! }
        #expect(before > -(8 << 10))
        _ = try CaptureRunner(store: store, collectors: [big]).run([SourceRequest(source: "big", target: "x")])
        let enlarged = -(8 << 10)
        #expect(sizes.values == [enlarged, enlarged, enlarged])
        #expect(try store.pool.write { try Int.fetchOne($0, sql: "PRAGMA cache_size")! } == before)
        // Outside a transaction the size is put back at once.
        try store.pool.writeWithoutTransaction { db in
            let sink = CaptureSink(db: db, captureID: 1, source: "big", target: "x", redactor: Redactor())
            try sink.withPageCache(kibibytes: 8 << 10) {}
            #expect(try Int.fetchOne(db, sql: "PRAGMA cache_size")! == before)
        }
    }

    @Test func identicalCaptureSharesItemsSetsAndBlobs() throws {
        let (store, _) = try store()
        let runner = CaptureRunner(store: store, collectors: [adder])
        _ = try runner.run([SourceRequest(source: "demo", target: "x")])
        let counts = { try store.pool.read { db in
            [try Int.fetchOne(db, sql: "SELECT count(*) FROM blob")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM item")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM item_set")!] } }
        let before = try counts()
        _ = try runner.run([SourceRequest(source: "demo", target: "x")])
        #expect(try counts() == before)
        let perCapture = try store.pool.read { try Int.fetchAll($0, sql: "SELECT count(*) FROM evidence GROUP BY capture_id") }
        #expect(perCapture == [3, 3])
    }

    @Test func failingSourceBecomesAnErrorItemAndOthersLand() throws {
        let (store, dir) = try store()
        let failing = ScriptedCollector(source: "bad") { _, sink in
            _ = try sink.storeBlob(Data("half-written".utf8))
            try sink.add(EvidenceItem(kind: "bad.partial", subject: "p", origin: "t"))
            throw Boom()
        }
        let redactor = Redactor()
        redactor.register("s3cr3t-t0ken-value")
        let runner = CaptureRunner(store: store, collectors: [adder, failing], redactor: redactor)
        let out = try runner.run([SourceRequest(source: "bad", target: "b"), SourceRequest(source: "demo", target: "x"),
                                  SourceRequest(source: "nope", target: "z")])
        #expect(out.sources.map(\.status) == ["error", "ok", "error"])
        #expect(out.itemCount == 5)
        let kinds = try store.pool.read { try String.fetchAll($0, sql: "SELECT kind FROM evidence ORDER BY source_seq, seq") }
        #expect(kinds == ["bad.error", "demo.thing", "demo.thing", "demo.thing", "nope.error"])
        // The rolled-back partial item and blob are gone.
        let partial = try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM item WHERE kind = 'bad.partial'") }
        #expect(partial == 0)
        let message = try store.pool.read { try String.fetchOne($0, sql: "SELECT data FROM evidence WHERE kind = 'bad.error'") } ?? ""
        #expect(message.contains("the source exploded"))
        #expect(!message.contains("s3cr3t-t0ken-value"))
        _ = try store.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        let bytes = try Data(contentsOf: dir.appendingPathComponent("v.db"))
        #expect(bytes.range(of: Data("s3cr3t-t0ken-value".utf8)) == nil)
        #expect(try Verifier(store: store).verify().isIntact)
    }

    @Test func plantedSecretThroughRedactionNeverReachesTheFile() throws {
        let (store, dir) = try store()
        let secret = "machine-token-9f8e7d6c5b4a"
        let leaky = ScriptedCollector(source: "cfg") { req, sink in
            let fp = req.redactor.fingerprint(secret)
            let raw = "machine:\n  token: \(secret)\n"
            let blob = try sink.storeBlob(Data(req.redactor.scrub(raw).utf8))
            try sink.add(EvidenceItem(kind: "cfg.doc", subject: "n1", origin: "f", data: ["token": .string(fp)], blobSHA256: blob))
            try sink.addError(subject: "n2", origin: "f", message: "could not parse near '\(secret)'")
        }
        _ = try CaptureRunner(store: store, collectors: [leaky]).run([SourceRequest(source: "cfg", target: "t")])
        for suffix in ["", "-wal"] {
            let url = dir.appendingPathComponent("v.db" + suffix)
            if let bytes = try? Data(contentsOf: url) { #expect(bytes.range(of: Data(secret.utf8)) == nil, "secret in v.db\(suffix)") }
        }
        let data = try store.pool.read { try String.fetchAll($0, sql: "SELECT data FROM evidence") }.joined()
        #expect(data.contains("sha256:" + Hashing.sha256Hex(secret)))
    }

    @Test func factRowsAreCoveredByTheSeal() throws {
        let (store, _) = try store()
        try store.pool.write { db in
            try db.execute(sql: "CREATE TABLE demo_fact (capture_id INTEGER NOT NULL, name TEXT, value INTEGER)")
            try Schema.registerFactTable(db, name: "demo_fact", source: "demo", description: "test")
        }
        let facts = ScriptedCollector(source: "demo") { _, sink in
            try sink.insertFact("demo_fact", ["name": "retention_days", "value": 400])
        }
        _ = try CaptureRunner(store: store, collectors: [facts]).run([SourceRequest(source: "demo", target: "x")])
        #expect(try Verifier(store: store).verify().isIntact)
        try store.pool.write { try $0.execute(sql: "UPDATE demo_fact SET value = 4000") }
        let report = try Verifier(store: store).verify()
        #expect(report.problems.first?.captureID == 1)
        #expect(report.problems.first?.message.contains("fact rows") == true)
    }

    @Test func largeBlobStreamsInChunksAndDeduplicates() throws {
        let (store, _) = try store()
        let streamer = ScriptedCollector(source: "big") { _, sink in
            for _ in 0..<2 {
                let n = Counter()
                let r = try sink.storeBlob(streaming: {
                    let i = n.next()
                    return i <= 3 ? Data(repeating: UInt8(i), count: BlobIO.chunkSize) : Data()
                })
                try sink.add(EvidenceItem(kind: "big.blob", subject: "b", origin: "t", blobSHA256: r.sha256))
            }
        }
        _ = try CaptureRunner(store: store, collectors: [streamer]).run([SourceRequest(source: "big", target: "x")])
        let (blobs, chunks, size) = try store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM blob")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM blob_chunk")!,
             try Int.fetchOne(db, sql: "SELECT size FROM blob")!)
        }
        #expect(blobs == 1 && chunks == 3 && size == 3 * BlobIO.chunkSize)
        #expect(try Verifier(store: store).verify().isIntact)
    }

    @Test func unreadableStreamLeavesNoBlobBehind() throws {
        let (store, _) = try store()
        struct ReadFailed: Error {}
        let failing = ScriptedCollector(source: "big") { _, sink in
            let n = Counter()
            do {
                _ = try sink.storeBlob(streaming: {
                    if n.next() > 2 { throw ReadFailed() }
                    return Data(repeating: 7, count: BlobIO.chunkSize)
                })
            } catch is ReadFailed {
                try sink.addError(subject: "b", origin: "t", message: "read failed")
            }
        }
        let out = try CaptureRunner(store: store, collectors: [failing]).run([SourceRequest(source: "big", target: "x")])
        #expect(out.errorCount == 1)
        let (blobs, chunks) = try store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM blob")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM blob_chunk")!)
        }
        #expect(blobs == 0 && chunks == 0)
    }

    @Test func newerSchemaIsRefusedClearly() throws {
        let (store, dir) = try store()
        try store.pool.write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('2099-01-01 future')") }
        #expect(throws: StoreError.self) { _ = try EvidenceStore(path: dir.appendingPathComponent("v.db").path) }
    }

    @Test func profileSourcesInBothShapes() throws {
        let dir = try makeDir()
        let p = dir.appendingPathComponent("vouch.yaml")
        try Data("sources:\n  - kind: files\n    target: ./etc\n    exclude: ['*.tmp']\n  - kind: git\n    target: .\n".utf8).write(to: p)
        let list = try Profile.load(path: p.path).sources()
        #expect(list.map(\.source) == ["files", "git"])
        #expect(list[0].options["exclude"] == .array(["*.tmp"]))
        try Data("sources:\n  files: [a, b]\n  git: {target: repo, branch: main}\n".utf8).write(to: p)
        let map = try Profile.load(path: p.path).sources()
        #expect(map.map(\.target) == ["a", "b", "repo"])
        try Data("sources: [ {target: x} ]\n".utf8).write(to: p)
        #expect(throws: ProfileError.self) { try Profile.load(path: p.path).sources() }
        try Data("sources: [unclosed\n".utf8).write(to: p)
        #expect(throws: ProfileError.self) { try Profile.load(path: p.path) }
    }
}
