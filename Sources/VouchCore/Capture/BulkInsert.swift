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

    /// Binds one row's values, in parameter order, then inserts it.
    public func run(_ bind: (inout Values) -> Void) throws {
        let stmt = statement.sqliteStatement
        // A failed step was already thrown; reset only makes the statement bindable again.
        _ = sqlite3_reset(stmt)
        var values = Values(stmt: stmt, digest: digest)
        digest?.beginRow()
        bind(&values)
        precondition(values.index == parameterCount + 1, "BulkInsert: \(values.index - 1) values for \(parameterCount) parameters")
        do { try statement.execute() } catch { digest?.invalidate(); throw error }
        digest?.endRow()
    }

    /// The values of one row.
    public struct Values {
        fileprivate let stmt: OpaquePointer
        fileprivate var index: Int32 = 1
        fileprivate let digest: TableDigest?

        fileprivate init(stmt: OpaquePointer, digest: TableDigest?) { self.stmt = stmt; self.digest = digest }

        public mutating func add(_ value: Int64) {
            check(sqlite3_bind_int64(stmt, index, value)); index += 1
            digest?.add(value)
        }
        public mutating func add(_ value: Int) { add(Int64(value)) }
        public mutating func add(_ value: Int?) { if let value { add(Int64(value)) } else { addNull() } }
        public mutating func add(_ value: Int64?) { if let value { add(value) } else { addNull() } }
        /// 1 or 0, as GRDB stores a Bool.
        public mutating func add(_ value: Bool) { add(Int64(value ? 1 : 0)) }
        public mutating func add(_ value: String) {
            check(value.withCString { sqlite3_bind_text(stmt, index, $0, -1, transient) })
            index += 1
            digest?.add(value)
        }
        public mutating func add(_ value: String?) { if let value { add(value) } else { addNull() } }
        public mutating func addNull() { check(sqlite3_bind_null(stmt, index)); index += 1; digest?.addNull() }

        private func check(_ code: Int32) {
            // As in GRDB: binding does not touch the file system, so a failure is a bug.
            precondition(code == SQLITE_OK, "BulkInsert: binding parameter \(index) failed (\(code))")
        }
    }
}

/// SQLite copies the bound bytes.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
