import Foundation
import GRDB
import Logging

/// What one source gave in a capture.
public struct SourceOutcome: Sendable, Hashable {
    public var source: String
    public var target: String
    public var status: String
    public var itemCount: Int
    public var errorCount: Int
    /// Why the whole source failed, if it did.
    public var message: String?
}

/// What a capture run landed.
public struct CaptureOutcome: Sendable {
    public var captureID: Int64
    public var seal: String
    public var startedAt: String
    public var sources: [SourceOutcome]
    public var itemCount: Int { sources.reduce(0) { $0 + $1.itemCount } }
    public var errorCount: Int { sources.reduce(0) { $0 + $1.errorCount } }
}

/// Runs collectors into one atomic, sealed capture.
///
/// The whole capture is one `BEGIN IMMEDIATE` transaction: concurrent runs on one
/// store wait for each other (busy timeout), and a run that dies leaves nothing.
/// Each source runs in a savepoint, so a source that throws is rolled back and
/// replaced by an error item while the others land.
public final class CaptureRunner {
    public let store: EvidenceStore
    public let collectors: [String: any Collector]
    public var host: String
    public var baseDirectory: URL
    public var logger: Logger
    public var redactor: Redactor
    public var profileSHA256: String?
    public var now: @Sendable () -> Date = { Date() }
    public var progress: @Sendable (String) -> Void = { _ in }

    public init(store: EvidenceStore, collectors: [any Collector], host: String = CaptureRunner.hostName(),
                baseDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                logger: Logger = Logger(label: "vouch"), redactor: Redactor = Redactor(), profileSHA256: String? = nil) {
        self.store = store
        self.collectors = Dictionary(collectors.map { ($0.source, $0) }, uniquingKeysWith: { a, _ in a })
        self.host = host
        self.baseDirectory = baseDirectory
        self.logger = logger
        self.redactor = redactor
        self.profileSHA256 = profileSHA256
    }

    public static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Collects every request into one new capture and seals it.
    public func run(_ requests: [SourceRequest]) throws -> CaptureOutcome {
        try store.pool.writeWithoutTransaction { db in
            var outcome: CaptureOutcome?
            // Sources may enlarge the page cache for the capture (`CaptureSink.withPageCache`).
            let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
            defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }
            try db.inTransaction(.immediate) {
                outcome = try self.runLocked(db, requests)
                return .commit
            }
            return outcome!
        }
    }

    private func runLocked(_ db: Database, _ requests: [SourceRequest]) throws -> CaptureOutcome {
        let startedAt = Timestamp.string(now())
        let captureID = (try Int64.fetchOne(db, sql: """
            SELECT max(id) FROM (SELECT id FROM capture UNION ALL SELECT id FROM capture_pruned)
            """) ?? 0) + 1
        try db.execute(sql: """
            INSERT INTO capture(id, started_at, finished_at, host, tool_version, profile_sha256, item_count,
                                error_count, facts_sha256, manifest_sha256, prev_seal, seal)
            VALUES (?, ?, ?, ?, ?, ?, 0, 0, '', '', '', ?)
            """, arguments: [captureID, startedAt, startedAt, host, VouchVersion.current, profileSHA256,
                             "pending:\(UUID().uuidString)"])
        var outcomes: [SourceOutcome] = []
        let factDigests = FactDigests()
        for (index, request) in requests.enumerated() {
            let sourceStart = Timestamp.string(now())
            var sink = CaptureSink(db: db, captureID: captureID, source: request.source, target: request.target, redactor: redactor,
                                   factDigests: factDigests)
            var failure: String?
            if let collector = collectors[request.source] {
                let collectRequest = CollectRequest(
                    source: request.source, target: request.target, options: request.options, host: host,
                    baseDirectory: baseDirectory, logger: logger, redactor: redactor, progress: progress)
                do {
                    try db.inSavepoint {
                        try collector.collect(collectRequest, into: sink)
                        return .commit
                    }
                } catch {
                    factDigests.invalidateAll()
                    failure = redactor.scrub((error as? LocalizedError)?.errorDescription ?? "\(error)")
                }
            } else {
                failure = CollectError.unknownSource(request.source, known: collectors.keys.sorted()).errorDescription
            }
            if let failure {
                logger.error("source failed", metadata: ["source": "\(request.source)", "target": "\(request.target)", "reason": "\(failure)"])
                sink = CaptureSink(db: db, captureID: captureID, source: request.source, target: request.target, redactor: redactor)
                try sink.add(.error(source: request.source, subject: request.target, origin: request.target, message: failure))
            }
            let status = failure != nil ? "error" : (sink.errorCount > 0 ? "partial" : "ok")
            let setID = try storeSet(db, sink)
            try db.execute(sql: """
                INSERT INTO capture_source(capture_id, seq, source, target, set_id, status, item_count, error_count,
                                           started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [captureID, index, request.source, request.target, setID, status, sink.itemCount,
                                 sink.errorCount, sourceStart, Timestamp.string(now())])
            outcomes.append(SourceOutcome(source: request.source, target: request.target, status: status,
                                          itemCount: sink.itemCount, errorCount: sink.errorCount, message: failure))
        }
        let finishedAt = Timestamp.string(now())
        let facts = try Seal.factsDigest(db, captureID: captureID, accumulated: factDigests)
        let manifest = Seal.manifest(id: captureID, startedAt: startedAt, finishedAt: finishedAt, host: host,
                                     toolVersion: VouchVersion.current, profileSHA256: profileSHA256,
                                     sources: try Seal.sourceLines(db, captureID: captureID), factsSHA256: facts)
        let previous = try Seal.previousSeal(db, before: captureID)
        let seal = Seal.seal(previous: previous.seal, manifest: manifest)
        let items = outcomes.reduce(0) { $0 + $1.itemCount }
        let errors = outcomes.reduce(0) { $0 + $1.errorCount }
        try db.execute(sql: """
            UPDATE capture SET finished_at = ?, item_count = ?, error_count = ?, facts_sha256 = ?, manifest_sha256 = ?,
                               prev_seal = ?, seal = ? WHERE id = ?
            """, arguments: [finishedAt, items, errors, facts, manifest, previous.seal, seal, captureID])
        return CaptureOutcome(captureID: captureID, seal: seal, startedAt: startedAt, sources: outcomes)
    }

    /// Stores the sink's items as a set, sharing an identical set from an earlier capture.
    private func storeSet(_ db: Database, _ sink: CaptureSink) throws -> Int64 {
        let hash = Seal.setHash(sink.members.map(\.sha256))
        if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM item_set WHERE sha256 = ?", arguments: [hash]) {
            return existing
        }
        try db.execute(sql: "INSERT INTO item_set(sha256, item_count) VALUES (?, ?)", arguments: [hash, sink.members.count])
        let setID = db.lastInsertedRowID
        let insert = try db.cachedStatement(sql: "INSERT INTO item_set_member(set_id, seq, item_id, kind, subject) VALUES (?, ?, ?, ?, ?)")
        for (seq, m) in sink.members.enumerated() {
            try insert.execute(arguments: [setID, seq, m.itemID, m.kind, m.subject])
        }
        return setID
    }
}

/// Timestamps as stored: ISO 8601 in UTC with milliseconds.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        return string(epochSeconds: Int64((Double(ms) / 1000).rounded(.down)), millis: Int(((ms % 1000) + 1000) % 1000))
    }

    /// Formats without Foundation's formatters (hot in collectors: one call per file).
    public static func string(epochSeconds secs: Int64, millis: Int = 0) -> String {
        var t = time_t(secs)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
        }
        return pad(tmv.tm_year + 1900, 4) + "-" + pad(tmv.tm_mon + 1, 2) + "-" + pad(tmv.tm_mday, 2) + "T"
            + pad(tmv.tm_hour, 2) + ":" + pad(tmv.tm_min, 2) + ":" + pad(tmv.tm_sec, 2) + "." + pad(Int32(millis), 3) + "Z"
    }

    /// Parses the stored form (and plain ISO 8601 without fraction).
    public static func parse(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}
