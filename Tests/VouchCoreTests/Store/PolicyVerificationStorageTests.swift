import Foundation
import GRDB
import Testing
@testable import VouchCore
import VouchTestSupport

/// `policy_verification` is a view over compact tables: the rows the earlier table held come back
/// through it column for column, `entry` included, and rows inserted into it are checked and kept.
@Suite struct PolicyVerificationStorageTests {
    static let columns = ["capture_id", "host", "endpoint_id", "namespace", "pod", "direction", "identity", "protocol", "port",
                          "port_prefix_len", "expected", "enforced", "verdict", "policies", "reason", "entry"]

    /// Rows as the earlier writer stored them, `entry` as it wrote it: rule-level rows outside any
    /// endpoint, NULL and empty texts, a port range, an unnamed protocol, every verdict, two captures.
    static let rows: [[DatabaseValue]] = {
        func r(_ values: [(any DatabaseValueConvertible)?]) -> [DatabaseValue] { values.map { $0?.databaseValue ?? .null } }
        return [
            r([2, nil, nil, nil, nil, "ingress", nil, nil, nil, nil, "deny", nil, "unverified", "CiliumClusterwideNetworkPolicy//host",
               "unsupported: host policy (nodeSelector) rules", "ingress identity ? ?/any: unverified (declared deny, kernel nothing)"]),
            r([2, "n1", 412, "shop", "backend", "egress", 1, 6, 53, 16, "allow+proxy", "allow+proxy:15001", "match",
               "CiliumNetworkPolicy/shop/a, NetworkPolicy/shop/b", nil, "egress identity 1 tcp/53: match (declared allow+proxy, kernel allow+proxy:15001)"]),
            r([2, "n1", 412, "shop", "backend", "ingress", 2, 6, 22, 16, nil, "allow", "unexpected", nil, "enforced, declared nowhere",
               "ingress identity 2 tcp/22: unexpected (declared nothing, kernel allow)"]),
            r([2, "n1", 412, "shop", "backend", "ingress", 48312, 17, 8080, 12, "allow", nil, "missing", "NetworkPolicy/shop/b",
               "declared, but the kernel's policy map has no such entry", "ingress identity 48312 udp/8080/12: missing (declared allow, kernel nothing)"]),
            r([2, "n1", 412, "shop", "backend", "ingress", 2, 0, 0, 0, "deny", "allow", "mismatch", "CiliumNetworkPolicy/shop/a",
               "declared deny, enforced allow", "ingress identity 2 any/any: mismatch (declared deny, kernel allow)"]),
            r([2, "n2", 7, "", "", "ingress", 1, 0, 0, 0, nil, "allow", "implicit", nil, "Cilium allows the local host (allow-localhost)",
               "ingress identity 1 any/any: implicit (declared nothing, kernel allow)"]),
            r([2, "n2", 9, nil, nil, "egress", 16777217, 47, 0, 0, nil, "deny", "unverified", nil, "the endpoint is not in the imported cilium-dbg endpoint list",
               "egress identity 16777217 47/any: unverified (declared nothing, kernel deny)"]),
            r([1, "n1", 412, "shop", "backend", "egress", 0, 132, 9000, 16, "allow", "allow", "match", "NetworkPolicy/shop/b", nil,
               "egress identity 0 sctp/9000: match (declared allow, kernel allow)"]),
            r([1, "n1", 412, "shop", "backend", "egress", 0, 1, 0, 0, "allow", "allow", "match", "NetworkPolicy/shop/b", nil,
               "egress identity 0 icmp/any: match (declared allow, kernel allow)"]),
            r([1, "n1", 412, "shop", "backend", "egress", 0, 58, 0, 0, "allow", "allow", "match", "NetworkPolicy/shop/b", nil,
               "egress identity 0 icmpv6/any: match (declared allow, kernel allow)"]),
        ]
    }()

    static func selectAll(_ db: Database) throws -> [[DatabaseValue]] {
        try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM policy_verification ORDER BY seq").map { row in
            columns.map { row[$0] as DatabaseValue }
        }
    }

    @Test("rows of the earlier table come back through the view unchanged, entry included, in their order")
    func migrationKeepsEveryRow() throws {
        let dir = try TestSupport.makeTempDir("vouch-pvs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("v.db").path
        do {
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "2026-11-25 policy verification")
            try queue.write { db in
                #expect(try db.tableExists("policy_verification"))
                for row in Self.rows {
                    try db.execute(sql: "INSERT INTO policy_verification(\(Self.columns.joined(separator: ", "))) VALUES (\(Self.columns.map { _ in "?" }.joined(separator: ", ")))",
                                   arguments: StatementArguments(row))
                }
            }
        }
        let store = try EvidenceStore(path: path)
        let back = try store.pool.read { db in
            #expect(try !db.tableExists("policy_verification_v1"))
            return try Self.selectAll(db)
        }
        #expect(back.count == Self.rows.count)
        // Copied in rowid order: the same order as inserted.
        #expect(back == Self.rows, "\(back.map { $0.map(\.description).joined(separator: "|") })")
    }

    @Test("rows inserted into the view are kept; a value outside the vocabulary is refused")
    func insertingThroughTheView() throws {
        let dir = try TestSupport.makeTempDir("vouch-pvs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try EvidenceStore(path: dir.appendingPathComponent("v.db").path)
        let insert = "INSERT INTO policy_verification(\(Self.columns.dropLast().joined(separator: ", "))) VALUES (\(Self.columns.dropLast().map { _ in "?" }.joined(separator: ", ")))"
        let back = try store.pool.write { db in
            for row in Self.rows { try db.execute(sql: insert, arguments: StatementArguments(Array(row.dropLast()))) }
            return try Self.selectAll(db)
        }
        #expect(back == Self.rows)
        // One endpoint row per distinct endpoint and capture, one policies row per distinct list.
        let (endpoints, lists) = try store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM policy_verification_endpoint")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM policy_verification_policies")!)
        }
        #expect(endpoints == 5)
        #expect(lists == 5)
        for (column, bad) in [("verdict", "fine"), ("direction", "sideways"), ("expected", "maybe"), ("enforced", "allow+proxy:"),
                              ("enforced", "allow+proxy:12x"), ("enforced", "proxy")] {
            var row = Array(Self.rows[1].dropLast())
            row[Self.columns.firstIndex(of: column)!] = bad.databaseValue
            #expect(throws: DatabaseError.self, "\(column) = \(bad)") {
                try store.pool.write { db in try db.execute(sql: insert, arguments: StatementArguments(row)) }
            }
        }
        #expect(try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM policy_verification") } == Self.rows.count)
    }
}
