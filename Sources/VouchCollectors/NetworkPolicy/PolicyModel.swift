import Foundation
import VouchCore

/// One normalized row of `policy_rule` (before it gets its capture and evidence ids).
struct PolicyRuleRow: Equatable {
    var specIndex: Int
    var ruleIndex: Int
    var direction: String   // ingress | egress
    var action: String      // allow | deny
    var subject: JSONValue
    var subjectType: String // pods | nodes
    var subjectAll: Bool
    var peerType: String
    var peer: JSONValue
    var peerNamespace: String?
    var peerWorld: Bool
    var ports: [JSONValue]
    var l7: JSONValue?
    var auth: String?
}

/// Which pods one spec of a policy selects, and which directions it isolates.
struct PolicySubject {
    var selector: LabelSelector
    var type: String  // pods | nodes
    /// Directions in which the selected pods are isolated (default deny plus the allows).
    var enforces: Set<String>
}

/// A network policy object, normalized.
struct NormalizedPolicy {
    var kind: String
    var namespace: String?
    var name: String
    var clusterwide: Bool
    var subjects: [PolicySubject]
    var rows: [PolicyRuleRow]
    var warnings: [String]
    var namespaceDefaulted = false

    var subjectName: String { [kind, namespace, name].compactMap { $0 }.joined(separator: "/") }
}

/// Why an object could not be normalized (it becomes an error item naming the file and line).
struct PolicyShapeError: Error {
    var message: String
}

/// Helpers shared by the Kubernetes and Cilium readers.
enum PolicyPorts {
    /// `{port, end_port, protocol}`: numeric strings become numbers, named ports stay strings,
    /// `port: 0` or no port means every port (null).
    static func entry(port: JSONValue?, endPort: JSONValue?, protocol proto: JSONValue?, defaultProtocol: String) -> JSONValue {
        var p: JSONValue = .null
        switch port {
        case .int(let i): p = i == 0 ? .null : .int(i)
        case .string(let s):
            let t = s.trimmingCharacters(in: .whitespaces)
            if let i = Int64(t) { p = i == 0 ? .null : .int(i) } else if !t.isEmpty { p = .string(t) }
        case .double(let d): p = .int(Int64(d))
        default: break
        }
        var e: JSONValue = .null
        switch endPort {
        case .int(let i): e = .int(i)
        case .string(let s): if let i = Int64(s.trimmingCharacters(in: .whitespaces)) { e = .int(i) }
        default: break
        }
        let protocolText = (proto?.stringValue).map { $0.uppercased() } ?? defaultProtocol
        return ["port": p, "end_port": e, "protocol": .string(protocolText)]
    }

    /// Whether a ports list restricts nothing (empty, or only "any port, any protocol").
    static func isAll(_ ports: [JSONValue]) -> Bool {
        ports.isEmpty || ports.allSatisfy { $0["port"] == .null && $0["protocol"] == "ANY" && $0["icmp_type"] == nil }
    }
}

extension JSONValue {
    /// The value as a list: a list stays, null is empty, a single value is one element.
    var asList: [JSONValue] {
        switch self {
        case .array(let a): return a
        case .null: return []
        default: return [self]
        }
    }
}
