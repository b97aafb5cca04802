import ArgumentParser
import Foundation
import GRDB
import VouchCore

extension Vouch {
    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one read-only SQL query over the store (captures, evidence, facts, results).",
            discussion: "The store is opened read-only: statements that write are refused. Example:\n  vouch query \"SELECT kind, count(*) FROM evidence WHERE capture_id = 1 GROUP BY kind\"")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The SQL query.")
        var sql: String

        @Option(help: "Output: table, csv or json.")
        var format: TableFormat = .table

        func run() async throws {
            try runMapped {
                _ = global.logger()
                let store = try global.openStore(readOnly: true)
                let (columns, rows) = try store.pool.read { db -> ([String], [[DatabaseValue]]) in
                    let statement: Statement
                    do { statement = try db.makeStatement(sql: sql) } catch {
                        throw StoreError.readOnlyQuery("\(error)")
                    }
                    guard statement.isReadonly else { throw StoreError.readOnlyQuery("only read statements are allowed") }
                    let cursor = try Row.fetchCursor(statement)
                    var out: [[DatabaseValue]] = []
                    while let r = try cursor.next() { out.append(Array(r.databaseValues)) }
                    return (statement.columnNames, out)
                }
                print(TableRenderer.render(columns: columns, rows: rows, format: format), terminator: "")
            }
        }
    }
}

enum TableFormat: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

/// Renders query results as an aligned table, CSV (RFC 4180) or JSON rows.
enum TableRenderer {
    static func text(_ v: DatabaseValue) -> String {
        switch v.storage {
        case .null: return ""
        case .int64(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .blob(let b): return "x'" + Hashing.hex(b) + "'"
        }
    }

    static func json(_ v: DatabaseValue) -> JSONValue {
        switch v.storage {
        case .null: return .null
        case .int64(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .blob(let b): return .string(Hashing.hex(b))
        }
    }

    static func render(columns: [String], rows: [[DatabaseValue]], format: TableFormat) -> String {
        switch format {
        case .json:
            let objects = rows.map { r in JSONValue.object(Dictionary(uniqueKeysWithValues: zip(columns, r.map(json)))) }
            return JSONValue.array(objects).canonicalText + "\n"
        case .csv:
            func cell(_ s: String) -> String {
                s.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
            }
            return ([columns] + rows.map { $0.map(text) }).map { $0.map(cell).joined(separator: ",") }.joined(separator: "\n") + "\n"
        case .table:
            let cells = rows.map { $0.map { display(text($0)) } }
            var widths = columns.map(\.count)
            for r in cells { for (i, c) in r.enumerated() { widths[i] = min(max(widths[i], c.count), 80) } }
            func line(_ r: [String]) -> String {
                r.enumerated().map { i, c in
                    let t = c.count > 80 ? String(c.prefix(79)) + "…" : c
                    return t.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
            }
            var out = line(columns) + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            for r in cells { out += line(r) + "\n" }
            out += "(\(rows.count) row\(rows.count == 1 ? "" : "s"))\n"
            return out
        }
    }

    /// Control characters would garble a terminal: show them escaped.
    static func display(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return s }
        return String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "␣" : Character($0) })
    }
}
