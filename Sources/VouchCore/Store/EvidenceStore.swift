import Foundation
import GRDB

/// The evidence store: one SQLite file (WAL) holding captures, blobs, evidence and facts.
public final class EvidenceStore: Sendable {
    public let path: String
    public let pool: DatabasePool

    /// The default path: `$VOUCH_STORE`, else `./vouch.db`.
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["VOUCH_STORE"].flatMap { $0.isEmpty ? nil : $0 } ?? "vouch.db"
    }

    /// Opens (and migrates) the store. `readOnly` opens without migrating and refuses writes.
    public init(path: String, readOnly: Bool = false, busyTimeout: TimeInterval = 600) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.readonly = readOnly
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        if readOnly, !FileManager.default.fileExists(atPath: path) {
            throw StoreError.cannotOpen(path: path, reason: "no such file")
        }
        // Creating and migrating a store must not race another process doing the same: hold an
        // exclusive flock on the store's folder meanwhile. (Not on the database file itself: closing a
        // second descriptor to it would drop SQLite's own POSIX locks.)
        var folderLock: Int32 = -1
        if !readOnly {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            folderLock = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folderLock >= 0 { flock(folderLock, LOCK_EX) }
        }
        defer { if folderLock >= 0 { flock(folderLock, LOCK_UN); close(folderLock) } }
        do {
            if !readOnly, !FileManager.default.fileExists(atPath: path) {
                try Self.create(path: path, busyTimeout: busyTimeout)
            }
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
        if !readOnly {
            let migrator = Schema.migrator
            try pool.write { db in
                let applied = try migrator.appliedIdentifiers(db)
                let known = Set(migrator.migrations)
                if let unknown = applied.first(where: { !known.contains($0) }) {
                    throw StoreError.newerSchema(path: path, found: unknown)
                }
            }
            try migrator.migrate(pool)
            try pool.write { db in
                try db.execute(sql: "PRAGMA user_version = \(migrator.migrations.count)")
            }
        }
    }

    /// Creates a new store atomically: built and migrated under a temporary name, then renamed into
    /// place, so a store file that exists is always a complete one (even after `kill -9`).
    /// 32 KiB pages: large blobs stream with far fewer writes (measured ~2.5x less system time than
    /// 4 KiB). The page size is fixed when the file is created.
    private static func create(path: String, busyTimeout: TimeInterval) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        // Leftovers of a creation that was killed.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where name.hasPrefix(url.lastPathComponent + ".creating-") {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        let temporary = path + ".creating-\(getpid())"
        var creation = Configuration()
        creation.busyMode = .timeout(busyTimeout)
        // Nobody else sees the file until the rename and a crash leaves only a leftover to remove,
        // so the migrations need no journal file and no syncs (they cost four syncs each); one sync
        // before the rename makes the finished file durable.
        creation.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF")
        }
        // The script's rows go in table by table (the migrations check foreign keys as they finish).
        creation.foreignKeysEnabled = false
        let q = try DatabaseQueue(path: temporary, configuration: creation)
        try q.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA page_size = 32768") }
        // What the migrations would build, in one batch (see `SchemaSnapshot`).
        let migrator = Schema.migrator
        if Schema.snapshot.isCurrent(for: migrator) {
            try q.write { db in try db.execute(sql: Schema.snapshot.sql) }
        } else {
            try migrator.migrate(q)
        }
        try q.close()
        let fd = open(temporary, O_RDONLY | O_CLOEXEC)
        guard fd >= 0, fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw StoreError.cannotOpen(path: path, reason: "syncing the new store: \(reason)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// The id of the newest capture, if any.
    public func latestCaptureID() throws -> Int64? {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM capture") }
    }

    /// Resolves an optional capture id to an existing one (default: the newest).
    public func resolveCapture(_ id: Int64?) throws -> Int64 {
        if let id {
            let exists = try pool.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM capture WHERE id = ?)", arguments: [id]) ?? false
            }
            guard exists else { throw StoreError.noSuchCapture(id) }
            return id
        }
        guard let latest = try latestCaptureID() else { throw StoreError.noCaptures(path: path) }
        return latest
    }

    /// Reads a blob's whole content (for small artifacts; stream large ones with `forEachBlobChunk`).
    public func blobData(sha256: String) throws -> Data? {
        try pool.read { db in try BlobIO.read(db, sha256: sha256) }
    }
}

/// Reading and writing chunked blobs.
public enum BlobIO {
    public static let chunkSize = 1 << 20

    public static func read(_ db: Database, sha256: String) throws -> Data? {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM blob WHERE sha256 = ?", arguments: [sha256]) else {
            return nil
        }
        var out = Data()
        let cursor = try Data.fetchCursor(db, sql: "SELECT data FROM blob_chunk WHERE blob_id = ? ORDER BY seq", arguments: [id])
        while let d = try cursor.next() { out.append(d) }
        return out
    }

    /// Calls `body` with each chunk of a blob, in order, without loading the whole blob.
    public static func forEachChunk(_ db: Database, blobID: Int64, _ body: (Data) throws -> Void) throws {
        let cursor = try Data.fetchCursor(db, sql: "SELECT data FROM blob_chunk WHERE blob_id = ? ORDER BY seq", arguments: [blobID])
        while let d = try cursor.next() { try body(d) }
    }
}
