import Foundation
import GRDB

/// The evidence store: one SQLite file (WAL) holding captures, blobs, evidence and facts.
public final class EvidenceStore: Sendable {
    public let path: String
    /// A pool of connections (WAL) for a store in place; one connection while a new store is being
    /// built with its first capture (see `withStore`).
    public let pool: any DatabaseWriter

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
        let folderLock: Int32 = readOnly ? -1 : Self.lockFolder(of: path)
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

    /// A store on one connection (a new store being built: see `withStore`).
    private init(path: String, writer: any DatabaseWriter) {
        self.path = path
        pool = writer
    }

    /// Runs `body` (a capture) on the store at `path`. When there is no store yet, it is built with
    /// `body`'s writes already in it, and appears (renamed into place) only once `body` has
    /// returned: `body` runs on a file no one else sees, so it needs no journal file, no WAL and no
    /// syncs. A first capture written through the WAL was written twice (the WAL, then the
    /// checkpoint on close), with two syncs and the WAL's removal: about 55 ms of a 0.6 s capture
    /// of 50,000 git commits. When `body` throws, no store is left behind. Other processes opening
    /// the same path meanwhile wait for the finished store: the folder lock is held until then, so
    /// opening any store in that folder for writing waits too (the lock has no file of its own to
    /// leave behind).
    public static func withStore<T>(path: String, busyTimeout: TimeInterval = 600, _ body: (EvidenceStore) throws -> T) throws -> T {
        let folderLock = lockFolder(of: path)
        var locked = folderLock >= 0
        func unlock() {
            guard locked else { return }
            locked = false
            flock(folderLock, LOCK_UN); close(folderLock)
        }
        defer { unlock() }
        guard !FileManager.default.fileExists(atPath: path) else {
            unlock()
            return try body(EvidenceStore(path: path, busyTimeout: busyTimeout))
        }
        let temporary = try build(path: path, busyTimeout: busyTimeout)
        var q: DatabaseQueue?
        do {
            let queue = try DatabaseQueue(path: temporary, configuration: buildConfiguration(busyTimeout: busyTimeout, foreignKeys: true))
            q = queue
            let result = try body(EvidenceStore(path: path, writer: queue))
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA user_version = \(Schema.migrator.migrations.count)")
                // The header says WAL from now on (the next opening would switch anyway).
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            }
            q = nil
            try queue.close()
            try publish(temporary, as: path)
            return result
        } catch {
            try? q?.close()
            try? FileManager.default.removeItem(atPath: temporary)
            try? FileManager.default.removeItem(atPath: temporary + "-wal")
            throw error
        }
    }

    /// An exclusive `flock` on the folder of `path` (-1 when the folder cannot be opened).
    private static func lockFolder(of path: String) -> Int32 {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { flock(fd, LOCK_EX) }
        return fd
    }

    /// Creates a new store atomically: built under a temporary name, then renamed into place, so
    /// a store file that exists is always a complete one (even after `kill -9`).
    private static func create(path: String, busyTimeout: TimeInterval) throws {
        let temporary = try build(path: path, busyTimeout: busyTimeout)
        do { try publish(temporary, as: path) } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// For a file nobody else sees until it is renamed, where a crash leaves only a leftover to
    /// remove: no journal file, no syncs (one sync before the rename makes it durable).
    private static func buildConfiguration(busyTimeout: TimeInterval, foreignKeys: Bool) -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = foreignKeys
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF")
        }
        return config
    }

    /// Builds a new store's schema in a temporary file beside `path` and returns the file's path.
    /// 32 KiB pages: large blobs stream with far fewer writes (measured ~2.5x less system time than
    /// 4 KiB). The page size is fixed when the file is created.
    private static func build(path: String, busyTimeout: TimeInterval) throws -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        // Leftovers of a creation that was killed.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where name.hasPrefix(url.lastPathComponent + ".creating-") {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        let temporary = path + ".creating-\(getpid())"
        do {
            // The script's rows go in table by table (the migrations check foreign keys as they finish).
            let q = try DatabaseQueue(path: temporary, configuration: buildConfiguration(busyTimeout: busyTimeout, foreignKeys: false))
            try q.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA page_size = 32768") }
            // What the migrations would build, in one batch (see `SchemaSnapshot`).
            let migrator = Schema.migrator
            if Schema.snapshot.isCurrent(for: migrator) {
                try q.write { db in try db.execute(sql: Schema.snapshot.sql) }
            } else {
                try migrator.migrate(q)
            }
            try q.close()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
        return temporary
    }

    /// Syncs a finished temporary store and renames it to `path`.
    private static func publish(_ temporary: String, as path: String) throws {
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
