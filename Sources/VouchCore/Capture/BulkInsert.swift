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
    /// row has, those allocations were a sixth of the writer's time).
    private let texts = RowTexts()

    /// Binds one row's values, in parameter order, then inserts it.
    public func run(_ bind: (inout Values) -> Void) throws {
        let stmt = statement.sqliteStatement
        // A failed step was already thrown; reset only makes the statement bindable again.
        _ = sqlite3_reset(stmt)
        texts.removeAll()
        var values = Values(stmt: stmt, digest: digest, texts: texts)
        digest?.beginRow()
        bind(&values)
        precondition(values.index == parameterCount + 1, "BulkInsert: \(values.index - 1) values for \(parameterCount) parameters")
        // The bytes stay where they are until the next row (SQLite reads them while stepping).
        try texts.bytes.withUnsafeBufferPointer { base in
            for t in texts.slots {
                let p = t.count == 0 ? emptyText : UnsafeRawPointer(base.baseAddress! + t.offset).assumingMemoryBound(to: CChar.self)
                values.check(sqlite3_bind_text(stmt, t.index, p, Int32(t.count), nil), t.index)
            }
            do { try statement.execute() } catch { digest?.invalidate(); throw error }
        }
        digest?.endRow()
    }

    /// The values of one row.
    public struct Values {
        fileprivate let stmt: OpaquePointer
        fileprivate var index: Int32 = 1
        fileprivate let digest: TableDigest?
        fileprivate let texts: RowTexts

        fileprivate init(stmt: OpaquePointer, digest: TableDigest?, texts: RowTexts) {
            self.stmt = stmt; self.digest = digest; self.texts = texts
        }

        public mutating func add(_ value: Int64) {
            check(sqlite3_bind_int64(stmt, index, value)); index += 1
            digest?.add(value)
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
            texts.slots.append((index, texts.bytes.count, count))
            texts.bytes.appendBytes(text)
            index += 1
            digest?.add(text: text)
        }
        public mutating func add(_ value: String?) { if let value { add(value) } else { addNull() } }
        public mutating func addNull() { check(sqlite3_bind_null(stmt, index)); index += 1; digest?.addNull() }

        fileprivate func check(_ code: Int32, _ parameter: Int32? = nil) {
            // As in GRDB: binding does not touch the file system, so a failure is a bug.
            precondition(code == SQLITE_OK, "BulkInsert: binding parameter \(parameter ?? index) failed (\(code))")
        }
    }
}

/// The text values of one row (see `BulkInsert.texts`).
private final class RowTexts {
    var bytes: [UInt8] = []
    var slots: [(index: Int32, offset: Int, count: Int)] = []

    init() {
        bytes.reserveCapacity(4096)
        slots.reserveCapacity(32)
    }

    func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
    }
}

/// What an empty text is bound to (a NULL pointer would bind NULL).
nonisolated(unsafe) private let emptyText: UnsafePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.initialize(to: 0)
    return UnsafePointer(p)
}()

