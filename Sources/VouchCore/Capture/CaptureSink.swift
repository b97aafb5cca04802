import Crypto
import Foundation
import GRDB

/// Where a collector writes: items, blobs and fact rows of one source in one capture.
///
/// It lives inside the capture's write transaction: nothing it writes is visible
/// to others until the whole capture commits, and a kill leaves nothing behind.
public final class CaptureSink {
    public let captureID: Int64
    public let source: String
    public let target: String
    public let redactor: Redactor
    /// The open database, for collectors that need their own queries (e.g. incremental reads).
    public let db: Database

    private(set) var members: [(itemID: Int64, kind: String, subject: String, sha256: String)] = []
    private(set) var errorCount = 0
    private var knownBlobs: Set<String> = []

    /// The capture's fact-table digests framed on insert (see `TableDigest`).
    let factDigests: FactDigests

    init(db: Database, captureID: Int64, source: String, target: String, redactor: Redactor,
         factDigests: FactDigests = FactDigests()) {
        self.factDigests = factDigests
        self.db = db
        self.captureID = captureID
        self.source = source
        self.target = target
        self.redactor = redactor
    }

    public var itemCount: Int { members.count }

    /// An insert into a fact table whose digest is framed as rows go in, so sealing need not read
    /// them back. `columns` must be all of the table's columns, in order; every row the capture
    /// puts in the table must go through inserts made here.
    public func digestingInsert(table: String, columns: [String]) throws -> BulkInsert {
        let digest = try factDigests.digest(db, table: table, columns: columns)
        let sql = "INSERT INTO \(table)(\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        return try BulkInsert(db, sql: sql, digest: digest)
    }

    /// Runs `body` with SQLite's page cache at `kibibytes` at least. For sources that write hundreds
    /// of thousands of rows into indexed tables: with the default 2 MiB cache the same index pages
    /// are read back and spilled to the WAL over and over.
    ///
    /// Inside a transaction (a capture) the cache stays that large until the transaction ends (the
    /// capture runner puts the size back after it): shrinking it with the rows not yet committed
    /// spilled them all to the WAL, and the commit then wrote them again and re-read every frame
    /// after the first rewritten one to checksum it (50,000 git commits: 2,000 more writes, 1,000 reads).
    public func withPageCache<T>(kibibytes: Int, _ body: () throws -> T) throws -> T {
        let previous = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
        // Negative sizes are in KiB, positive ones in pages.
        let previousKiB = previous < 0 ? -previous : previous * (try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096) / 1024
        guard previousKiB < kibibytes else { return try body() }
        try db.execute(sql: "PRAGMA cache_size = -\(kibibytes)")
        defer { if !db.isInsideTransaction { try? db.execute(sql: "PRAGMA cache_size = \(previous)") } }
        return try body()
    }

    /// Adds an evidence item and returns its id (stable across captures for identical items).
    @discardableResult
    public func add(_ item: EvidenceItem) throws -> Int64 {
        let dataText = item.data.canonicalText
        return try add(item, dataText: dataText, sha: item.sha256(source: source, dataText: dataText))
    }

    private func add(_ item: EvidenceItem, dataText: String, sha: String) throws -> Int64 {
        let id: Int64
        if let existing = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM item WHERE sha256 = ?"), arguments: [sha]) {
            id = existing
        } else {
            try db.cachedStatement(sql: """
                INSERT INTO item(sha256, source, kind, subject, origin, data, blob_sha256, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [sha, source, item.kind, item.subject, item.origin, dataText,
                                         item.blobSHA256, item.isError ? "error" : "ok"])
            id = db.lastInsertedRowID
        }
        members.append((id, item.kind, item.subject, sha))
        if item.isError { errorCount += 1 }
        return id
    }

    /// Adds an item whose data was encoded and hashed beforehand (e.g. on another thread).
    @discardableResult
    public func add(_ prepared: PreparedItem) throws -> Int64 {
        precondition(prepared.source == source, "a prepared item of source \(prepared.source) added to \(source)")
        return try add(prepared.item, dataText: prepared.dataText, sha: prepared.sha256)
    }

    /// Adds an error item for one part of the source (a file, an object) and goes on.
    @discardableResult
    public func addError(subject: String, origin: String, message: String, details: [String: JSONValue] = [:]) throws -> Int64 {
        try add(.error(source: source, subject: subject, origin: origin, message: redactor.scrub(message), details: details))
    }

    /// Stores bytes as a blob (deduplicated) and returns its SHA-256.
    @discardableResult
    public func storeBlob(_ data: Data) throws -> String {
        let sha = Hashing.sha256Hex(data)
        try storeBlob(data, sha256: sha)
        return sha
    }

    /// Stores bytes whose SHA-256 the caller already computed.
    public func storeBlob(_ data: Data, sha256 sha: String) throws {
        if knownBlobs.contains(sha) { return }
        if try blobExists(sha) { knownBlobs.insert(sha); return }
        try db.cachedStatement(sql: "INSERT INTO blob(sha256, size) VALUES (?, ?)").execute(arguments: [sha, data.count])
        let blobID = db.lastInsertedRowID
        var seq = 0
        var offset = 0
        repeat {
            let end = min(offset + BlobIO.chunkSize, data.count)
            try db.cachedStatement(sql: "INSERT INTO blob_chunk(blob_id, seq, data) VALUES (?, ?, ?)")
                .execute(arguments: [blobID, seq, data.subdata(in: offset..<end)])
            seq += 1
            offset = end
        } while offset < data.count
        knownBlobs.insert(sha)
    }

    public func blobExists(_ sha: String) throws -> Bool {
        if knownBlobs.contains(sha) { return true }
        return try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM blob WHERE sha256 = ?)"), arguments: [sha]) ?? false
    }

    /// Streams a blob from a reader (called until it returns an empty chunk), hashing as it goes.
    /// Reading and hashing run on a second thread, overlapping the SQLite writes.
    /// Identical content already in the store is kept once: the new copy is dropped.
    public func storeBlob(streaming read: @escaping @Sendable () throws -> Data) throws -> (sha256: String, size: Int64) {
        let pending = "pending:" + UUID().uuidString
        try db.cachedStatement(sql: "INSERT INTO blob(sha256, size) VALUES (?, 0)").execute(arguments: [pending])
        let blobID = db.lastInsertedRowID
        var size: Int64 = 0
        var seq = 0
        let insert = try db.cachedStatement(sql: "INSERT INTO blob_chunk(blob_id, seq, data) VALUES (?, ?, ?)")
        let reader = ReadAhead(read: read)
        do {
            while let chunk = try reader.next() {
                try insert.execute(arguments: [blobID, seq, chunk])
                seq += 1
                size += Int64(chunk.count)
            }
        } catch {
            reader.cancel()
            // Nothing of a blob that could not be read whole stays behind.
            try db.execute(sql: "DELETE FROM blob_chunk WHERE blob_id = ?", arguments: [blobID])
            try db.execute(sql: "DELETE FROM blob WHERE id = ?", arguments: [blobID])
            throw error
        }
        if seq == 0 { try insert.execute(arguments: [blobID, 0, Data()]) }
        let sha = reader.sha256 ?? Hashing.sha256Hex(Data())
        if try blobExists(sha) {
            try db.execute(sql: "DELETE FROM blob_chunk WHERE blob_id = ?", arguments: [blobID])
            try db.execute(sql: "DELETE FROM blob WHERE id = ?", arguments: [blobID])
        } else {
            try db.execute(sql: "UPDATE blob SET sha256 = ?, size = ? WHERE id = ?", arguments: [sha, size, blobID])
        }
        knownBlobs.insert(sha)
        return (sha, size)
    }

    /// Inserts one fact row; `capture_id` is added. Column names come from the caller's code, never from input.
    public func insertFact(_ table: String, _ values: KeyValuePairs<String, (any DatabaseValueConvertible)?>) throws {
        let columns = ["capture_id"] + values.map(\.key)
        let sql = "INSERT INTO \(table)(\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
        var args: [(any DatabaseValueConvertible)?] = [captureID]
        args.append(contentsOf: values.map(\.value))
        try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(args))
    }

    /// The newest earlier capture that holds this source and target, if any.
    public func previousCaptureID() throws -> Int64? {
        try Int64.fetchOne(db, sql: """
            SELECT max(capture_id) FROM capture_source WHERE source = ? AND target = ? AND capture_id < ?
            """, arguments: [source, target, captureID])
    }

    /// An item of an earlier capture, as `previousItems` returns it.
    public struct PreviousItem: Sendable {
        public var id: Int64
        public var data: String
        public var blobSHA256: String?
        public var sha256: String
        public var kind: String
    }

    /// Adds an item of an earlier capture unchanged (the caller rebuilt its data and found it identical).
    public func reuse(_ item: PreviousItem, subject: String) {
        members.append((item.id, item.kind, subject, item.sha256))
    }

    /// The items of this source and target in the newest earlier capture, by subject.
    public func previousItems(kind: String? = nil) throws -> [String: PreviousItem] {
        guard let prev = try previousCaptureID() else { return [:] }
        var out: [String: PreviousItem] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT i.id, i.subject, i.data, i.blob_sha256, i.kind, i.sha256 FROM capture_source cs
            JOIN item_set_member m ON m.set_id = cs.set_id JOIN item i ON i.id = m.item_id
            WHERE cs.capture_id = ? AND cs.source = ? AND cs.target = ?
            """, arguments: [prev, source, target])
        while let r = try rows.next() {
            if let kind, (r[4] as String) != kind { continue }
            out[r[1]] = PreviousItem(id: r[0], data: r[2], blobSHA256: r[3], sha256: r[5], kind: r[4])
        }
        return out
    }
}
