import Foundation
import GRDB
import VouchCore

/// The `netpol` source: declared network policy from manifests and `kubectl get … -o yaml|json` dumps.
///
/// Reads NetworkPolicy, CiliumNetworkPolicy (`spec` and `specs`), CiliumClusterwideNetworkPolicy and
/// Namespace objects, in `List` wrappers, multi-document YAML, JSON, and bare Cilium rule lists
/// (`cilium policy import` format). Each policy becomes an evidence item plus `policy_rule` rows;
/// each known namespace a `namespace_policy` row. Other kinds are recorded as skipped.
/// Options: `namespaces: [...]` (namespaces that exist even without a Namespace object),
/// `default_namespace` (for objects without one, default `default`), `exclude: [globs]`.
public struct NetworkPolicyCollector: Collector {
    public let source = "netpol"
    public let targetSyntax = "FILE_OR_DIR"
    public let summary = "Kubernetes NetworkPolicy and Cilium (clusterwide) network policies from manifests or kubectl dumps: rules and per-namespace default deny"

    public init() {}

    public func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        let files = try ManifestFiles.list(request, extensions: ["yaml", "yml", "json"])
        let defaultNamespace = request.option("default_namespace") ?? "default"
        var summary = NamespaceSummary()
        for ns in request.stringList("namespaces") { summary.know(ns, from: "profile") }
        var policies: [NormalizedPolicy] = []
        var state = ReadState(sink: sink, redactor: request.redactor, defaultNamespace: defaultNamespace)
        for (n, file) in files.enumerated() {
            if n % 200 == 0, n > 0 { request.progress("netpol: \(n)/\(files.count) files") }
            switch ManifestFiles.read(file) {
            case .failure(let p): try state.problem(p)
            case .success(let text):
                let (docs, problems) = ManifestReader.documents(text: text, file: file.relative)
                for p in problems { try state.problem(p) }
                // The raw file is the artifact, unless it also holds a Secret: then each policy object alone is.
                state.fileBlob = docs.contains { ReadState.holdsSecret($0.value) } ? nil
                    : try sink.storeBlob(Data(request.redactor.scrub(text).utf8))
                for doc in docs { try state.document(doc, policies: &policies, summary: &summary) }
            }
        }
        for p in policies {
            if let ns = p.namespace { summary.know(ns, from: "policy") }
        }
        for p in policies where p.clusterwide {
            for s in p.subjects {
                if let only = s.selector.namespaceConstraint(labelKey: CiliumPolicy.namespaceLabel).only {
                    for ns in only.sorted() { summary.know(ns, from: "policy") }
                }
            }
        }
        for row in summary.rows(policies) {
            try sink.insertFact("namespace_policy", [
                "namespace": row.namespace, "default_deny_ingress": row.defaultDenyIngress ? 1 : 0,
                "default_deny_egress": row.defaultDenyEgress ? 1 : 0, "allows_world_ingress": row.allowsWorldIngress ? 1 : 0,
                "allows_world_egress": row.allowsWorldEgress ? 1 : 0, "allow_all_ingress": row.allowAllIngress ? 1 : 0,
                "allow_all_egress": row.allowAllEgress ? 1 : 0, "policy_count": row.policyCount,
                "known_from": row.knownFrom, "evidence_id": row.evidenceID,
            ])
        }
    }
}

/// Per-run state: turns documents into items and facts.
private struct ReadState {
    let sink: CaptureSink
    let redactor: Redactor
    let defaultNamespace: String
    /// The blob of the file being read, when it can be stored whole.
    var fileBlob: String?

    init(sink: CaptureSink, redactor: Redactor, defaultNamespace: String) {
        self.sink = sink
        self.redactor = redactor
        self.defaultNamespace = defaultNamespace
    }

    static func holdsSecret(_ v: JSONValue) -> Bool {
        switch v {
        case .array(let a): return a.contains(where: holdsSecret)
        case .object(let o):
            if o["kind"] == "Secret" { return true }
            return o["items"].map(holdsSecret) ?? false
        default: return false
        }
    }

    func problem(_ p: ManifestProblem) throws {
        let at = p.line > 0 ? "\(p.file):\(p.line)" : p.file
        try sink.addError(subject: p.file, origin: at,
                          message: "\(at): \(p.message); fix the document (or exclude the file) and collect again")
    }

    mutating func document(_ doc: ManifestDocument, policies: inout [NormalizedPolicy], summary: inout NamespaceSummary) throws {
        switch doc.value {
        case .array(let list):
            if list.contains(where: { $0["endpointSelector"] != nil || $0["nodeSelector"] != nil }) {
                // `cilium policy import` format: a bare list of rules, no object around them.
                let name = "\(doc.file)#\(doc.line)"
                try record(kind: "CiliumRules", object: .object(["specs": doc.value]), doc: doc, policies: &policies) {
                    try CiliumPolicy.normalize(specs: list, kind: "CiliumRules", namespace: nil, name: name, clusterwide: true)
                }
            } else {
                for item in list { try object(item, doc: doc, policies: &policies, summary: &summary) }
            }
        default:
            try object(doc.value, doc: doc, policies: &policies, summary: &summary)
        }
    }

    mutating func object(_ o: JSONValue, doc: ManifestDocument, policies: inout [NormalizedPolicy],
                         summary: inout NamespaceSummary) throws {
        let kind = o["kind"]?.stringValue ?? ""
        if let items = o["items"]?.arrayValue, kind == "List" || kind.hasSuffix("List") {
            for item in items { try object(item, doc: doc, policies: &policies, summary: &summary) }
            return
        }
        let meta = o["metadata"]
        let name = meta?["name"]?.stringValue ?? ""
        let explicitNS = meta?["namespace"]?.stringValue
        switch kind {
        case "NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy":
            guard !name.isEmpty else {
                try problem(ManifestProblem(file: doc.file, line: doc.line, message: "\(kind) without metadata.name; give it a name"))
                return
            }
            let ns = kind == "CiliumClusterwideNetworkPolicy" ? nil : (explicitNS ?? defaultNamespace)
            try record(kind: kind, object: o, doc: doc, policies: &policies) {
                var p = kind == "NetworkPolicy" ? try KubernetesPolicy.normalize(o, namespace: ns!, name: name)
                    : try CiliumPolicy.normalize(o, kind: kind, namespace: ns, name: name)
                p.namespaceDefaulted = ns != nil && explicitNS == nil
                return p
            }
        case "Namespace":
            let labels = (meta?["labels"]?.objectValue ?? [:]).mapValues(LabelSelector.text)
            let id = try sink.add(EvidenceItem(kind: "netpol.namespace", subject: name, origin: doc.origin,
                                               data: ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })]))
            if !name.isEmpty { summary.know(name, from: "namespace", labels: labels, evidenceID: id) }
        default:
            let subject = [kind.isEmpty ? "(no kind)" : kind, explicitNS, name.isEmpty ? nil : name].compactMap { $0 }.joined(separator: "/")
            let reason = kind.isEmpty ? "no kind: not a Kubernetes object" : "kind \(kind) is not a network policy"
            try sink.add(EvidenceItem(kind: "netpol.skipped", subject: subject, origin: doc.origin,
                                      data: ["kind": .string(kind), "apiVersion": o["apiVersion"] ?? .null, "reason": .string(reason)]))
        }
    }

    private func record(kind: String, object: JSONValue, doc: ManifestDocument, policies: inout [NormalizedPolicy],
                        _ normalize: () throws -> NormalizedPolicy) throws {
        let policy: NormalizedPolicy
        do { policy = try normalize() } catch let e as PolicyShapeError {
            try problem(ManifestProblem(file: doc.file, line: doc.line, message: e.message))
            return
        }
        let blob = try fileBlob ?? sink.storeBlob(Data(redactor.scrub(object.canonicalText).utf8))
        var data: [String: JSONValue] = [
            "kind": .string(kind), "apiVersion": object["apiVersion"] ?? .null, "name": .string(policy.name),
            "namespace": policy.namespace.map { .string($0) } ?? .null, "clusterwide": .bool(policy.clusterwide),
            "rule_rows": .int(Int64(policy.rows.count)),
            "subjects": .array(policy.subjects.map {
                ["selector": $0.selector.json, "type": .string($0.type), "enforces": .array($0.enforces.sorted().map { .string($0) })]
            }),
        ]
        if policy.namespaceDefaulted { data["namespace_defaulted"] = true }
        if !policy.warnings.isEmpty { data["warnings"] = .array(policy.warnings.map { .string($0) }) }
        let id = try sink.add(EvidenceItem(kind: "netpol.policy", subject: policy.subjectName, origin: doc.origin,
                                           data: .object(data), blobSHA256: blob))
        // One prepared statement for every row (the bulk of a large capture); subjects are encoded once per spec.
        let insert = try sink.db.cachedStatement(sql: """
            INSERT INTO policy_rule(capture_id, evidence_id, kind, namespace, policy, spec_index, rule_index, direction,
              action, subject, subject_type, subject_all, peer_type, peer, peer_namespace, peer_world, ports, all_ports,
              l7, auth, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var subjects: [Int: String] = [:]
        for r in policy.rows {
            let subject = subjects[r.specIndex] ?? r.subject.canonicalText
            subjects[r.specIndex] = subject
            let values: [(any DatabaseValueConvertible)?] = [
                sink.captureID, id, kind, policy.namespace, policy.name, r.specIndex, r.ruleIndex, r.direction, r.action,
                subject, r.subjectType, r.subjectAll ? 1 : 0, r.peerType, r.peer.canonicalText, r.peerNamespace,
                r.peerWorld ? 1 : 0, JSONValue.array(r.ports).canonicalText, PolicyPorts.isAll(r.ports) ? 1 : 0,
                r.l7?.canonicalText, r.auth, doc.origin,
            ]
            try insert.execute(arguments: StatementArguments(values))
        }
        policies.append(policy)
    }
}
