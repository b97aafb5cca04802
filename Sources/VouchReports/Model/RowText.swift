import Foundation
import GRDB
import VouchCore

/// Reads store columns without trusting their type or encoding: evidence is untrusted input,
/// so a text column holding a blob or invalid UTF-8 must render, not crash.
enum RowText {
    static func text(_ row: Row, _ column: String) -> String {
        guard row.hasColumn(column) else { return "" }
        return text(row[column] as DatabaseValue)
    }

    static func text(_ row: Row, _ index: Int) -> String { text(row[index] as DatabaseValue) }

    static func text(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: return ""
        case .int64(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .blob(let b): return String(decoding: b, as: UTF8.self)
        }
    }

    static func optionalText(_ row: Row, _ column: String) -> String? {
        guard row.hasColumn(column), !(row[column] as DatabaseValue).isNull else { return nil }
        return text(row, column)
    }

    static func int(_ row: Row, _ column: String) -> Int {
        guard row.hasColumn(column) else { return 0 }
        switch (row[column] as DatabaseValue).storage {
        case .int64(let i): return Int(i)
        case .double(let d): return Int(d)
        case .string(let s): return Int(s) ?? 0
        default: return 0
        }
    }

    static func int64(_ row: Row, _ index: Int) -> Int64 {
        switch (row[index] as DatabaseValue).storage {
        case .int64(let i): return i
        case .double(let d): return Int64(d)
        case .string(let s): return Int64(s) ?? 0
        default: return 0
        }
    }

    /// The integers of a JSON list like `[12, 40]`, read without a full JSON parse (it runs per result row).
    static func idList(_ text: String) -> [Int64] {
        var out: [Int64] = []
        var current: Int64 = 0
        var inNumber = false
        for b in text.utf8 {
            if b >= 0x30 && b <= 0x39 {
                current = current &* 10 &+ Int64(b - 0x30)
                inNumber = true
            } else {
                if inNumber { out.append(current) }
                current = 0
                inNumber = false
            }
        }
        if inNumber { out.append(current) }
        return out
    }

    /// The columns a table or view has, or nil when it does not exist (tables other areas build land later).
    static func columns(_ db: Database, _ table: String) throws -> Set<String>? {
        let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE name = ? AND type IN ('table', 'view'))",
                                       arguments: [table]) ?? false
        guard exists else { return nil }
        return Set(try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] as String })
    }
}

/// Sorts Annex A ids the way the catalog lists them: A.5.2 before A.5.10.
enum ControlOrder {
    static func key(_ id: String) -> [Int] {
        id.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
    }

    static func less(_ a: String, _ b: String) -> Bool {
        let ka = key(a), kb = key(b)
        return ka == kb ? a < b : ka.lexicographicallyPrecedes(kb)
    }
}
