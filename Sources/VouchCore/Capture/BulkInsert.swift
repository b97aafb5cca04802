import Foundation
import GRDB
import GRDBSQLite

/// An INSERT run many times with its values bound through the SQLite API. For narrow fact rows,
/// building `StatementArguments` (an existential per value) costs about as much as the insert.
/// Values are bound as GRDB binds them (text as a C string, nil as NULL), so the rows are the same.
public final class BulkInsert {
    private let statement: Statement
    private let parameterCount: Int32
    /// Frames each inserted row for the seal (see `CaptureSink.digestingInsert`).
    private let digest: TableDigest?

    public convenience init(_ db: Database, sql: String) throws {
        try self.init(db, sql: sql, digest: nil)
    }

    init(_ db: Database, sql: String, digest: TableDigest?) throws {
        self.digest = digest
        statement = try db.makeStatement(sql: sql)
        parameterCount = sqlite3_bind_parameter_count(statement.sqliteStatement)
        // Marks the statement's arguments as set, so `execute()` runs with what `run` binds.
        statement.setUncheckedArguments(StatementArguments(Array(repeating: DatabaseValue.null, count: Int(parameterCount))))
    }

    /// The text values of the row being bound, one after another: bound in place once the row is
    /// complete, so SQLite need not allocate and copy each (with twenty text columns, as a git commit
    /// row has, those allocations were a sixth of the writer's time). The buffers are lent to each
    /// row's `Values` and come back after it, keeping their capacity.
    private var textBytes: [UInt8] = []
    private var textSlots: [TextSlot] = []

    /// Binds one row's values, in parameter order, then inserts it.
    public func run(_ bind: (inout Values) -> Void) throws {
        let stmt = statement.sqliteStatement
        // A failed step was already thrown; reset only makes the statement bindable again.
        _ = sqlite3_reset(stmt)
        var values = Values(stmt: stmt, digestRow: digest?.beginRow(), bytes: textBytes, slots: textSlots)
        textBytes = []; textSlots = []
        values.bytes.removeAll(keepingCapacity: true)
        values.slots.removeAll(keepingCapacity: true)
        defer { textBytes = values.bytes; textSlots = values.slots }
        bind(&values)
        precondition(values.index == parameterCount + 1, "BulkInsert: \(values.index - 1) values for \(parameterCount) parameters")
        // The bytes stay where they are until the next row (SQLite reads them while stepping).
        try values.bytes.withUnsafeBufferPointer { base in
            for t in values.slots {
                let p = t.count == 0 ? emptyText : UnsafeRawPointer(base.baseAddress! + t.offset).assumingMemoryBound(to: CChar.self)
                values.check(sqlite3_bind_text(stmt, t.index, p, Int32(t.count), nil), t.index)
            }
            do { try statement.execute() } catch { digest?.invalidate(); throw error }
        }
        if let row = values.digestRow.take() { digest?.endRow(row) }
    }

    /// Where one text value lies in the row's bytes.
    fileprivate struct TextSlot {
        var index: Int32
        var offset: Int
        var count: Int
    }

    /// The values of one row. Everything it changes while binding is its own (no class state: see
    /// `TableDigest.Row`).
    public struct Values {
        fileprivate let stmt: OpaquePointer
        fileprivate var index: Int32 = 1
        fileprivate var digestRow: TableDigest.Row?
        fileprivate var bytes: [UInt8]
        fileprivate var slots: [TextSlot]

        fileprivate init(stmt: OpaquePointer, digestRow: TableDigest.Row?, bytes: [UInt8], slots: [TextSlot]) {
            self.stmt = stmt; self.digestRow = digestRow; self.bytes = bytes; self.slots = slots
        }

        public mutating func add(_ value: Int64) {
            check(sqlite3_bind_int64(stmt, index, value)); index += 1
            digestRow?.add(value)
        }
        public mutating func add(_ value: Int) { add(Int64(value)) }
        public mutating func add(_ value: Int?) { if let value { add(Int64(value)) } else { addNull() } }
        public mutating func add(_ value: Int64?) { if let value { add(value) } else { addNull() } }
        /// 1 or 0, as GRDB stores a Bool.
        public mutating func add(_ value: Bool) { add(Int64(value ? 1 : 0)) }
        /// Text as GRDB binds it (a C string: up to the first NUL).
        public mutating func add(_ value: String) {
            if value.utf8.withContiguousStorageIfAvailable({ add(text: UnsafeRawBufferPointer($0)) }) == nil {
                var copy = value
                copy.withUTF8 { add(text: UnsafeRawBufferPointer($0)) }
            }
        }

        private mutating func add(text utf8: UnsafeRawBufferPointer) {
            var count = utf8.count
            if count > 0, let nul = memchr(utf8.baseAddress!, 0, count) { count = UnsafeRawPointer(nul) - utf8.baseAddress! }
            let text = UnsafeRawBufferPointer(rebasing: utf8[..<count])
            precondition(count <= Int(Int32.max), "BulkInsert: a text of \(count) bytes")
            slots.append(TextSlot(index: index, offset: bytes.count, count: count))
            bytes.appendBytes(text)
            index += 1
            digestRow?.add(text: text)
        }
        public mutating func add(_ value: String?) { if let value { add(value) } else { addNull() } }
        public mutating func addNull() { check(sqlite3_bind_null(stmt, index)); index += 1; digestRow?.addNull() }

        fileprivate func check(_ code: Int32, _ parameter: Int32? = nil) {
            // As in GRDB: binding does not touch the file system, so a failure is a bug.
            precondition(code == SQLITE_OK, "BulkInsert: binding parameter \(parameter ?? index) failed (\(code))")
        }
    }
}

/// What an empty text is bound to (a NULL pointer would bind NULL).
nonisolated(unsafe) private let emptyText: UnsafePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.initialize(to: 0)
    return UnsafePointer(p)
}()

