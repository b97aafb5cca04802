import GRDB
import GRDBSQLite

/// One prepared INSERT (or other write) bound straight through SQLite's C API, for the collectors that
/// write hundreds of thousands of rows: GRDB's `StatementArguments` box every value, which cost more
/// than SQLite itself did. Use it inside the capture's transaction, on the writer's thread, and let it
/// go before the connection closes.
///
///     let insert = try RawInsert(db, sql: "INSERT INTO t(a, b) VALUES (?, ?)")
///     insert.bind(1, 42); insert.bind(2, "text"); try insert.execute()
public final class RawInsert {
    private let db: Database
    private let statement: OpaquePointer
    private let sql: String
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    public init(_ db: Database, sql: String) throws {
        self.db = db
        self.sql = sql
        var s: OpaquePointer?
        let rc = sqlite3_prepare_v3(db.sqliteConnection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &s, nil)
        guard rc == SQLITE_OK, let s else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
        }
        statement = s
    }

    deinit { sqlite3_finalize(statement) }

    /// Binds parameter `i` (1-based).
    public func bind(_ i: Int32, _ v: Int64?) {
        if let v { sqlite3_bind_int64(statement, i, v) } else { sqlite3_bind_null(statement, i) }
    }

    public func bind(_ i: Int32, _ v: Int?) { bind(i, v.map(Int64.init)) }

    public func bind(_ i: Int32, _ v: Bool) { sqlite3_bind_int64(statement, i, v ? 1 : 0) }

    public func bind(_ i: Int32, _ v: String?) {
        guard var v else { sqlite3_bind_null(statement, i); return }
        if v.isEmpty { sqlite3_bind_text(statement, i, "", 0, Self.transient); return }
        v.withUTF8 { sqlite3_bind_text(statement, i, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), Int32($0.count), Self.transient) }
    }

    /// Runs the statement once with the bound values, then clears them.
    public func execute() throws {
        let rc = sqlite3_step(statement)
        let failure = rc == SQLITE_DONE || rc == SQLITE_ROW ? nil : String(cString: sqlite3_errmsg(db.sqliteConnection))
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        if let failure { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: failure, sql: sql) }
    }
}
