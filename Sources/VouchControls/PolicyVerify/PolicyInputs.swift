import Foundation
import GRDB
import GRDBSQLite
import VouchCore

/// What the verifier reads from one capture: declared rules, endpoints, identities, enforced entries.
struct PolicyInputs {
    struct Rule {
        var policyName: String
        var namespace: String?
        var direction: String
        var deny: Bool
        var subject: LabelSelector
        var subjectType: String
        var peerType: String
        var peer: JSONValue
        var peerNamespace: String?
        var ports: [JSONValue]
        var allPorts: Bool
        var l7: Bool
    }

    struct Endpoint {
        var host: String
        var id: Int64
        var identity: Int64?
        var namespace: String?
        var pod: String?
        var labels: LabelSet
    }

    /// A policy map key. Ordered as (direction name, identity, protocol, port, prefix): `egress` < `ingress`.
    struct Entry: Hashable, Comparable {
        /// 0 egress, 1 ingress.
        var dir: UInt8
        var identity: Int64
        var proto: Int64
        var port: Int64
        var prefix: Int64

        init(dir: UInt8, identity: Int64, proto: Int64, port: Int64, prefix: Int64) {
            self.dir = dir; self.identity = identity; self.proto = proto; self.port = port; self.prefix = prefix
        }

        init(direction: String, identity: Int64, proto: Int64, port: Int64, prefix: Int64) {
            self.init(dir: Entry.dir(direction), identity: identity, proto: proto, port: port, prefix: prefix)
        }

        static func dir(_ direction: String) -> UInt8 { direction == "ingress" ? 1 : 0 }
        static func name(_ dir: UInt8) -> String { dir == 1 ? "ingress" : "egress" }
        var direction: String { Entry.name(dir) }

        @inline(__always)
        static func < (a: Entry, b: Entry) -> Bool {
            if a.dir != b.dir { return a.dir < b.dir }
            if a.identity != b.identity { return a.identity < b.identity }
            if a.proto != b.proto { return a.proto < b.proto }
            if a.port != b.port { return a.port < b.port }
            return a.prefix < b.prefix
        }
    }

    struct Enforced {
        var deny: Bool
        var proxyPort: Int64
    }

    /// One endpoint's policy map, its rows in the order read.
    struct PolicyMap {
        var host: String
        var endpointID: Int64
        var rows: [(key: Entry, value: Enforced)]

        /// The entries sorted by key, each key once: the last row read wins. (Done by the comparison,
        /// on its own thread, rather than while loading.)
        func entries() -> [(key: Entry, value: Enforced)] {
            var r = rows
            r.sort { $0.key < $1.key }  // stable: equal keys keep the order read
            var out: [(key: Entry, value: Enforced)] = []
            out.reserveCapacity(r.count)
            for e in r {
                if let last = out.last, last.key == e.key { out[out.count - 1].value = e.value } else { out.append(e) }
            }
            return out
        }
    }

    struct HostEndpoint: Hashable {
        var host: String
        var endpoint: Int64
    }

    var rules: [Rule] = []
    var endpoints: [Endpoint] = []
    /// identity → labels (identity list, plus the identities of listed endpoints).
    var identities: [Int64: LabelSet] = [:]
    /// Enforced entries, one map per (host, endpoint).
    var maps: [PolicyMap] = []
    var mapIndex: [HostEndpoint: Int] = [:]

    var hasEnforced: Bool { !maps.isEmpty }

    func enforced(host: String, endpoint: Int64) -> PolicyMap? {
        mapIndex[HostEndpoint(host: host, endpoint: endpoint)].map { maps[$0] }
    }

    static func load(_ db: Database, captureID: Int64) throws -> PolicyInputs {
        var p = PolicyInputs()
        for r in try Row.fetchAll(db, sql: """
            SELECT kind, namespace, policy, direction, action, subject, subject_type, peer_type, peer, peer_namespace,
                   ports, all_ports, l7 FROM policy_rule WHERE capture_id = ? ORDER BY rowid
            """, arguments: [captureID]) {
            let ns: String? = r["namespace"]
            let kind: String = r["kind"], name: String = r["policy"]
            p.rules.append(Rule(
                policyName: ns.map { "\(kind)/\($0)/\(name)" } ?? "\(kind)/\(name)", namespace: ns, direction: r["direction"],
                deny: (r["action"] as String) == "deny", subject: LabelSelector((try? JSONValue.parse(r["subject"] as String)) ?? .object([:])),
                subjectType: r["subject_type"], peerType: r["peer_type"], peer: (try? JSONValue.parse(r["peer"] as String)) ?? .object([:]),
                peerNamespace: r["peer_namespace"], ports: (try? JSONValue.parse(r["ports"] as String))?.arrayValue ?? [],
                allPorts: (r["all_ports"] as Int64? ?? 0) == 1, l7: (r["l7"] as String?) != nil))
        }
        for r in try Row.fetchAll(db, sql: "SELECT identity, labels FROM cilium_identity WHERE capture_id = ?", arguments: [captureID]) {
            p.identities[r["identity"]] = LabelSet(Self.labels(r["labels"]))
        }
        for r in try Row.fetchAll(db, sql: """
            SELECT host, endpoint_id, identity, namespace, pod, labels FROM cilium_endpoint WHERE capture_id = ? ORDER BY host, endpoint_id
            """, arguments: [captureID]) {
            let labels = LabelSet(Self.labels(r["labels"]))
            let e = Endpoint(host: r["host"], id: r["endpoint_id"], identity: r["identity"], namespace: r["namespace"] ?? labels.namespace,
                             pod: r["pod"], labels: labels)
            p.endpoints.append(e)
            if let id = e.identity, p.identities[id] == nil { p.identities[id] = labels }
        }
        try p.loadEnforced(db, captureID: captureID)
        return p
    }

    /// Reads every policy map entry of the capture (millions of rows: column by column, without row objects),
    /// grouping rows by (host, endpoint) as they come.
    private mutating func loadEnforced(_ db: Database, captureID: Int64) throws {
        let statement = try db.makeStatement(sql: """
            SELECT host, endpoint_id, direction, identity, protocol, port, port_prefix_len, deny, proxy_port
            FROM cilium_policy_entry WHERE capture_id = ? AND endpoint_id IS NOT NULL
            """)
        try statement.setArguments([captureID])
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        var current = -1
        var lastHost: [UInt8] = []
        var lastEndpoint: Int64 = 0
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) })
            }
            let endpoint = sqlite3_column_int64(s, 1)
            let hostBytes = sqlite3_column_text(s, 0)
            let hostCount = Int(sqlite3_column_bytes(s, 0))
            let host = UnsafeBufferPointer(start: hostBytes, count: hostBytes == nil ? 0 : hostCount)
            if current < 0 || endpoint != lastEndpoint || !host.elementsEqual(lastHost) {
                lastHost = Array(host)
                lastEndpoint = endpoint
                let key = HostEndpoint(host: String(decoding: lastHost, as: UTF8.self), endpoint: endpoint)
                if let i = mapIndex[key] {
                    current = i
                } else {
                    current = maps.count
                    mapIndex[key] = current
                    maps.append(PolicyMap(host: key.host, endpointID: endpoint, rows: []))
                }
            }
            let dirText = sqlite3_column_text(s, 2)
            // direction is 'ingress' or 'egress' (a CHECK constraint).
            let dir: UInt8 = dirText?.pointee == UInt8(ascii: "i") ? 1 : 0
            let entry = Entry(dir: dir, identity: sqlite3_column_int64(s, 3), proto: sqlite3_column_int64(s, 4),
                              port: sqlite3_column_int64(s, 5), prefix: sqlite3_column_int64(s, 6))
            maps[current].rows.append((entry, Enforced(deny: sqlite3_column_int64(s, 7) == 1, proxyPort: sqlite3_column_int64(s, 8))))
        }
    }

    static func labels(_ text: String?) -> [String] {
        guard let text, let v = try? JSONValue.parse(text) else { return [] }
        return v.arrayValue?.compactMap(\.stringValue) ?? []
    }
}
