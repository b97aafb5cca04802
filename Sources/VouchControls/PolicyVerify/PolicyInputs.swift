import Foundation
import GRDB
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

    struct Entry: Hashable {
        var direction: String
        var identity: Int64
        var proto: Int64
        var port: Int64
        var prefix: Int64
    }

    struct Enforced {
        var deny: Bool
        var proxyPort: Int64
    }

    var rules: [Rule] = []
    var endpoints: [Endpoint] = []
    /// identity → labels (identity list, plus the identities of listed endpoints).
    var identities: [Int64: LabelSet] = [:]
    /// (host, endpoint) → enforced entries.
    var enforced: [String: [Entry: Enforced]] = [:]

    static func key(host: String, endpoint: Int64) -> String { "\(host)\u{0}\(endpoint)" }

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
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT host, endpoint_id, direction, identity, protocol, port, port_prefix_len, deny, proxy_port
            FROM cilium_policy_entry WHERE capture_id = ? AND endpoint_id IS NOT NULL
            """, arguments: [captureID])
        while let r = try cursor.next() {
            let k = key(host: r["host"], endpoint: r["endpoint_id"])
            let e = Entry(direction: r["direction"], identity: r["identity"], proto: r["protocol"], port: r["port"], prefix: r["port_prefix_len"])
            p.enforced[k, default: [:]][e] = Enforced(deny: (r["deny"] as Int64) == 1, proxyPort: r["proxy_port"])
        }
        return p
    }

    static func labels(_ text: String?) -> [String] {
        guard let text, let v = try? JSONValue.parse(text) else { return [] }
        return v.arrayValue?.compactMap(\.stringValue) ?? []
    }
}
