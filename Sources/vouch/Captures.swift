import ArgumentParser
import Foundation
import GRDB
import VouchCore

extension Vouch {
    struct Captures: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List captures, or show one with its sources and items.",
            subcommands: [List.self, Show.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "One line per capture: id, time, host, items, errors, seal.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "Output: table, csv or json.") var format: TableFormat = .table

            func run() async throws {
                try runMapped {
                    _ = global.logger()
                    let store = try global.openStore(readOnly: true)
                    let (cols, rows) = try store.pool.read { db -> ([String], [[DatabaseValue]]) in
                        let s = try db.makeStatement(sql: """
                            SELECT id, started_at, host, item_count AS items, error_count AS errors,
                                   (SELECT group_concat(source || '=' || target || CASE status WHEN 'ok' THEN '' ELSE ' (' || status || ')' END, ', ')
                                      FROM capture_source WHERE capture_id = capture.id) AS sources,
                                   seal FROM capture ORDER BY id
                            """)
                        return (s.columnNames, try Row.fetchAll(s).map { Array($0.databaseValues) })
                    }
                    print(TableRenderer.render(columns: cols, rows: rows, format: format), terminator: "")
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "A capture's seal, chain link, sources and items.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The capture id (default: the newest).") var id: Int64?
            @Option(help: "At most this many items are listed.") var limit: Int = 200

            func run() async throws {
                try runMapped {
                    _ = global.logger()
                    let store = try global.openStore(readOnly: true)
                    let id = try store.resolveCapture(id)
                    try store.pool.read { db in
                        let c = try Row.fetchOne(db, sql: "SELECT * FROM capture WHERE id = ?", arguments: [id])!
                        for col in c.columnNames { print("\(col): \(TableRenderer.text(c[col] as DatabaseValue))") }
                        print("\nsources:")
                        for s in try Row.fetchAll(db, sql: "SELECT * FROM capture_source WHERE capture_id = ? ORDER BY seq", arguments: [id]) {
                            print("  \(s["source"] as String)=\(s["target"] as String): \(s["status"] as String), \(s["item_count"] as Int64) items, \(s["error_count"] as Int64) errors")
                        }
                        print("\nitems:")
                        let items = try Row.fetchAll(db, sql: """
                            SELECT kind, subject, status, sha256, data FROM evidence WHERE capture_id = ? ORDER BY source_seq, seq LIMIT ?
                            """, arguments: [id, limit + 1])
                        for r in items.prefix(limit) {
                            let status: String = r["status"]
                            let err = status == "error" ? "  ERROR " + ((try? JSONValue.parse(r["data"] as String))?["error"]?.stringValue ?? "") : ""
                            print("  \(r["kind"] as String)  \(TableRenderer.display(r["subject"]))  \((r["sha256"] as String).prefix(12))\(err)")
                        }
                        if items.count > limit { print("  … more items: raise --limit or use `vouch query`") }
                    }
                }
            }
        }
    }
}
