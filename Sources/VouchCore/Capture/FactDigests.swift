import Foundation
import GRDB

/// A fact table's digest (`Seal.tableDigest`) framed from the values as they are inserted, so
/// sealing a capture need not read back rows it has just written (50,000 git commits: 0.17 s).
///
/// It is used only when it provably describes the table: every row the capture has there went
/// through it, with the table's columns in order, and nothing was rolled back or refused (the
/// row count is checked at sealing). Anything else falls back to reading the rows. Debug builds
/// always read them back too and stop on a difference, so every test capture checks it; `vouch
/// verify` reads the rows, as ever.
public final class TableDigest {
    public let table: String
    private var hasher = FieldHasher(domain: "vouch.facts.table.v1")
    private var frames = Seal.FieldFrames()
    /// The buffer of the row being framed, lent to the inserting code between rows (see `Row`).
    private var spare: Row? = Row()
    private let columnCount: Int
    public private(set) var rows = 0
    public private(set) var valid = true

    /// One row's frames as its values are bound. A value of the caller's (`BulkInsert.Values`
    /// holds it), not state of this class: every access to a class's stored property is checked
    /// for exclusivity at run time, and with forty values per row those checks were 7% of a
    /// git capture's writer thread.
    struct Row {
        fileprivate var frames = Seal.FieldFrames(capacity: 4096)
        fileprivate var columns = 0
        /// Columns and bytes up to the row's last value that is not NULL (version 2 trims the rest).
        fileprivate var usedColumns = 0
        fileprivate var usedBytes = 0

        mutating func addNull() {
            frames.header(tag: 0x4E, count: 0)
            columns += 1
        }

        mutating func add(_ value: Int64) {
            frames.decimal(value, tag: 0x49)
            used()
        }

        /// Text as bound: its UTF-8 bytes up to the first NUL (as SQLite keeps a C string).
        mutating func add(text: UnsafeRawBufferPointer) {
            frames.bytes(text, tag: 0x53)
            used()
        }

        private mutating func used() {
            columns += 1
            usedColumns = columns
            usedBytes = frames.count
        }
    }

    /// `columns` must be the table's columns, in order (else the digest is never used).
    init(_ db: Database, table: String, columns: [String]) throws {
        self.table = table
        columnCount = columns.count
        valid = try db.columns(in: table).map(\.name) == columns
    }

    /// An empty row to bind into (the buffer of the last one, when it was handed back).
    func beginRow() -> Row {
        guard var row = spare else { return Row() }
        spare = nil
        row.frames.removeAll()
        row.columns = 0; row.usedColumns = 0; row.usedBytes = 0
        return row
    }

    /// The row was inserted: it joins the digest, and its buffer comes back for the next one.
    func endRow(_ row: consuming Row) {
        if row.columns == columnCount {
            frames.decimal(Int64(row.usedColumns), tag: 0x69)
            frames.append(row.frames, prefix: row.usedBytes)
            rows += 1
            if frames.count >= 1 << 16 { frames.flush(into: &hasher) }
        } else {
            valid = false
        }
        spare = row
    }

    /// The row was not inserted (or not as framed): the digest no longer describes the table.
    public func invalidate() { valid = false }

    /// The digest so far (the accumulator can go on after it).
    func digest() -> String {
        var h = hasher
        var f = frames
        f.flush(into: &h)
        return h.finalizeHex()
    }
}

/// The `TableDigest`s of one capture, by table; the capture runner seals with them.
public final class FactDigests {
    private var byTable: [String: TableDigest] = [:]

    public init() {}

    /// The accumulator of `table` in this capture, made on first use.
    public func digest(_ db: Database, table: String, columns: [String]) throws -> TableDigest {
        if let d = byTable[table] {
            if d.valid, try db.columns(in: table).map(\.name) != columns { d.invalidate() }
            return d
        }
        let d = try TableDigest(db, table: table, columns: columns)
        byTable[table] = d
        return d
    }

    /// A source was rolled back: none of the accumulators can be trusted any more.
    public func invalidateAll() { for d in byTable.values { d.invalidate() } }

    /// The digest of `table` if its accumulator describes exactly the capture's rows there.
    func usable(_ db: Database, table: String, captureID: Int64) throws -> String? {
        guard let d = byTable[table], d.valid, d.rows > 0 else { return nil }
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\" WHERE capture_id = ?", arguments: [captureID]) ?? -1
        return count == d.rows ? d.digest() : nil
    }
}
