import Foundation
import GRDB
import GRDBSQLite

/// The digests a capture seal is made of. `CaptureRunner` and `Verifier` both
/// compute them here, so sealing and checking can never drift apart.
public enum Seal {
    /// The hash of an item set: its members' item hashes in order.
    public static func setHash(_ itemHashes: [String]) -> String {
        var h = FieldHasher(domain: "vouch.set.v1")
        for s in itemHashes { h.add(s) }
        return h.finalizeHex()
    }

    /// The digest over every fact row of a capture (version 2): each fact table that holds rows of
    /// the capture, in name order, as its name and its `tableDigest`.
    ///
    /// Two properties follow from hashing per table. A table added by a later migration, or one
    /// the capture has no rows in, does not enter the digest, so upgrading Vouch leaves earlier
    /// seals intact. And a pruning marker can keep the digests of the tables it deletes while the
    /// rows later captures still need (the git history) stay behind: `vouch verify` recombines them
    /// (see `Pruning`).
    public static func factsDigest(_ db: Database, captureID: Int64) throws -> String {
        try factsDigest(tableDigests: tableDigests(db, captureID: captureID))
    }

    /// As above, taking a table's digest from `accumulated` where it describes the capture's rows
    /// (see `TableDigest`) instead of reading them back.
    static func factsDigest(_ db: Database, captureID: Int64, accumulated: FactDigests) throws -> String {
        try factsDigest(tableDigests: tableDigests(db, captureID: captureID, accumulated: accumulated))
    }

    /// The version 2 facts digest from per-table digests (tables without rows left out).
    public static func factsDigest(tableDigests: [(table: String, digest: String)]) -> String {
        var h = FieldHasher(domain: "vouch.facts.v2")
        for t in tableDigests.sorted(by: { $0.table < $1.table }) { h.add(t.table); h.add(t.digest) }
        return h.finalizeHex()
    }

    /// The digest of each fact table that holds rows of the capture, in name order; from
    /// `accumulated` where it describes the capture's rows, else read from them.
    public static func tableDigests(_ db: Database, captureID: Int64) throws -> [(table: String, digest: String)] {
        try tableDigests(db, captureID: captureID, accumulated: nil)
    }

    static func tableDigests(_ db: Database, captureID: Int64, accumulated: FactDigests?) throws -> [(table: String, digest: String)] {
        var out: [(table: String, digest: String)] = []
        for table in try String.fetchAll(db, sql: "SELECT name FROM fact_table ORDER BY name") {
            if let d = try accumulated?.usable(db, table: table, captureID: captureID) {
                #if DEBUG
                let read = try tableDigest(db, table: table, captureID: captureID)
                precondition(read == d, "the digest of \(table) framed on insert differs from its rows read back")
                #endif
                out.append((table, d))
            } else if let d = try tableDigest(db, table: table, captureID: captureID) {
                out.append((table, d))
            }
        }
        return out
    }

    /// The digest of a capture's rows in one table, in rowid order; nil when it has none (or the
    /// table does not exist).
    public static func tableDigest(_ db: Database, table: String, captureID: Int64) throws -> String? {
        var h = FieldHasher(domain: "vouch.facts.table.v1")
        var frames = FieldFrames()
        let rows = try frameRows(db, table: table, columns: "*", trimNulls: true, captureID: captureID, frames: &frames, hasher: &h)
        guard rows > 0 else { return nil }
        frames.flush(into: &h)
        return h.finalizeHex()
    }

    /// The version 1 facts digest (captures sealed before version 2): one hash over every
    /// registered fact table's name and its rows, in name order. `vouch verify` accepts either.
    public static func factsDigestV1(_ db: Database, captureID: Int64) throws -> String {
        var h = FieldHasher(domain: "vouch.facts.v1")
        let tables = try String.fetchAll(db, sql: "SELECT name FROM fact_table ORDER BY name")
        var frames = FieldFrames()
        for table in tables {
            frames.flush(into: &h)
            h.add(table)
            guard try db.tableExists(table) else { h.add("missing"); continue }
            var columns = "*"
            if let added = Schema.columnsAddedAfterDigestV1[table] {
                columns = try db.columns(in: table).map(\.name).filter { !added.contains($0) }
                    .map { "\"" + $0 + "\"" }.joined(separator: ", ")
            }
            _ = try frameRows(db, table: table, columns: columns, trimNulls: false, captureID: captureID, frames: &frames, hasher: &h)
        }
        frames.flush(into: &h)
        return h.finalizeHex()
    }

    /// Frames a capture's rows of one table, in rowid order, flushing into `hasher` as the buffer
    /// fills; returns how many rows there were.
    ///
    /// Each row is its column count, then each value as a field: NULL, an integer or a double's bit
    /// pattern in decimal, text as GRDB reads it (up to a NUL, invalid UTF-8 repaired), blob bytes.
    /// With `trimNulls` (version 2) a row ends at its last value that is not NULL, so a column
    /// added later (NULL in earlier rows: SQLite adds columns at the end) leaves their digest alone.
    /// Columns are read with the SQLite API and framed into one buffer: the same bytes as hashing
    /// `Row.databaseValues` field by field, without a Swift value per column.
    private static func frameRows(_ db: Database, table: String, columns list: String, trimNulls: Bool, captureID: Int64,
                                  frames: inout FieldFrames, hasher h: inout FieldHasher) throws -> Int {
        guard try db.tableExists(table) else { return 0 }
        let statement: Statement
        let arguments: StatementArguments
        if try hasCaptureIndex(db, table: table) {
            // The index finds the capture's rows in index order: fetching each from the table and
            // sorting them by rowid reads pages at random (and, in a large capture, re-reads them).
            // A capture's rows are a rowid range, so scan that range in order and filter instead.
            let range = try Row.fetchOne(db, sql: "SELECT min(rowid), max(rowid) FROM \(table) WHERE capture_id = ?",
                                         arguments: [captureID])
            guard let low = range?[0] as Int64?, let high = range?[1] as Int64? else { return 0 }
            statement = try db.makeStatement(sql: """
                SELECT \(list) FROM \(table) NOT INDEXED WHERE rowid BETWEEN ? AND ? AND capture_id = ? ORDER BY rowid
                """)
            arguments = [low, high, captureID]
        } else {
            statement = try db.makeStatement(sql: "SELECT \(list) FROM \(table) WHERE capture_id = ? ORDER BY rowid")
            arguments = [captureID]
        }
        let columns = Int32(statement.columnCount)
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        var count = 0
        while try rows.next() != nil {
            count += 1
            let stmt = statement.sqliteStatement
            var used = columns
            if trimNulls { while used > 0 && sqlite3_column_type(stmt, used - 1) == SQLITE_NULL { used -= 1 } }
            frames.decimal(Int64(used), tag: 0x69)
            for i in 0..<used {
                switch sqlite3_column_type(stmt, i) {
                case SQLITE_NULL:
                    frames.header(tag: 0x4E, count: 0)
                case SQLITE_INTEGER:
                    frames.decimal(sqlite3_column_int64(stmt, i), tag: 0x49)
                case SQLITE_FLOAT:
                    frames.decimal(sqlite3_column_double(stmt, i).bitPattern, tag: 0x44)
                case SQLITE_TEXT:
                    let p = sqlite3_column_text(stmt, i)
                    let n = Int(sqlite3_column_bytes(stmt, i))
                    frames.text(p, count: n)
                default:
                    let p = sqlite3_column_blob(stmt, i)
                    let n = Int(sqlite3_column_bytes(stmt, i))
                    frames.bytes(p.map { UnsafeRawBufferPointer(start: $0, count: n) }, tag: 0x42)
                }
            }
            if frames.count >= 1 << 16 { frames.flush(into: &h) }
        }
        return count
    }

    /// Whether an index of the table starts with `capture_id`.
    private static func hasCaptureIndex(_ db: Database, table: String) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT EXISTS(SELECT 1 FROM pragma_index_list(?1) l JOIN pragma_index_info(l.name) i
                          WHERE i.seqno = 0 AND i.name = 'capture_id')
            """, arguments: [table]) ?? false
    }

    /// A buffer of `FieldHasher` fields (tag, big-endian 64-bit length, content).
    struct FieldFrames {
        private var buffer: [UInt8] = []
        init(capacity: Int = 1 << 17) { buffer.reserveCapacity(capacity) }
        var count: Int { buffer.count }

        /// The tag, then the count as 8 bytes, most significant first.
        mutating func header(tag: UInt8, count: Int) {
            buffer.append(tag)
            withUnsafeBytes(of: UInt64(count).bigEndian) { buffer.appendBytes($0) }
        }

        /// A number as `String(value)` spells it.
        mutating func decimal<T: BinaryInteger>(_ value: T, tag: UInt8) {
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for "-9223372036854775808"
            let written = withUnsafeMutableBytes(of: &digits) { raw -> Int in
                var magnitude = UInt64(value.magnitude)
                var i = raw.count
                repeat {
                    i -= 1
                    raw[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                } while magnitude > 0
                if value < 0 { i -= 1; raw[i] = UInt8(ascii: "-") }
                return raw.count - i
            }
            header(tag: tag, count: written)
            withUnsafeBytes(of: &digits) { raw in buffer.appendBytes(UnsafeRawBufferPointer(rebasing: raw[(raw.count - written)...])) }
        }

        mutating func bytes(_ raw: UnsafeRawBufferPointer?, tag: UInt8) {
            guard let raw, raw.count > 0 else { header(tag: tag, count: 0); return }
            header(tag: tag, count: raw.count)
            buffer.appendBytes(raw)
        }

        /// Text as `String(cString:)` reads it: ASCII without NUL as is, anything else through Swift.
        mutating func text(_ p: UnsafePointer<UInt8>?, count: Int) {
            guard let p else { header(tag: 0x53, count: 0); return }
            let raw = UnsafeRawBufferPointer(start: p, count: count)
            var plain = true
            for b in raw where b == 0 || b >= 0x80 { plain = false; break }
            if plain { bytes(raw, tag: 0x53); return }
            let s = String(cString: p)
            let utf8 = Array(s.utf8)
            utf8.withUnsafeBytes { bytes($0, tag: 0x53) }
        }

        /// Appends the first `prefix` bytes of another buffer.
        mutating func append(_ other: FieldFrames, prefix: Int) {
            other.buffer.withUnsafeBytes { buffer.appendBytes(UnsafeRawBufferPointer(rebasing: $0[..<prefix])) }
        }

        mutating func removeAll() { buffer.removeAll(keepingCapacity: true) }

        mutating func flush(into h: inout FieldHasher) {
            buffer.withUnsafeBytes { h.addFramed($0) }
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// One source's line in the manifest.
    public struct SourceLine: Sendable {
        public var seq: Int64, source: String, target: String, status: String, setSHA256: String
    }

    /// The manifest hash of a capture: header, sources and facts digest.
    public static func manifest(id: Int64, startedAt: String, finishedAt: String, host: String, toolVersion: String,
                                profileSHA256: String?, sources: [SourceLine], factsSHA256: String) -> String {
        var h = FieldHasher(domain: "vouch.capture.v1")
        h.add(id); h.add(startedAt); h.add(finishedAt); h.add(host); h.add(toolVersion); h.add(optional: profileSHA256)
        for s in sources {
            h.add(s.seq); h.add(s.source); h.add(s.target); h.add(s.status); h.add(s.setSHA256)
        }
        h.add(factsSHA256)
        return h.finalizeHex()
    }

    /// The seal: the manifest chained to the previous capture's seal.
    public static func seal(previous: String, manifest: String) -> String {
        var h = FieldHasher(domain: "vouch.seal.v1")
        h.add(previous); h.add(manifest)
        return h.finalizeHex()
    }

    /// The seal of the capture (or pruning marker) before `id`, or the zero seal.
    public static func previousSeal(_ db: Database, before id: Int64) throws -> (id: Int64?, seal: String) {
        let row = try Row.fetchOne(db, sql: """
            SELECT id, seal FROM (SELECT id, seal FROM capture WHERE id < ?1
                                  UNION ALL SELECT id, seal FROM capture_pruned WHERE id < ?1)
            ORDER BY id DESC LIMIT 1
            """, arguments: [id])
        if let row { return (row[0], row[1]) }
        return (nil, Hashing.zeroSeal)
    }

    /// The manifest lines of a stored capture.
    public static func sourceLines(_ db: Database, captureID: Int64) throws -> [SourceLine] {
        try Row.fetchAll(db, sql: """
            SELECT cs.seq, cs.source, cs.target, cs.status, s.sha256 FROM capture_source cs
            LEFT JOIN item_set s ON s.id = cs.set_id WHERE cs.capture_id = ? ORDER BY cs.seq
            """, arguments: [captureID]).map {
            SourceLine(seq: $0[0], source: $0[1], target: $0[2], status: $0[3], setSHA256: $0[4] ?? "missing")
        }
    }
}
