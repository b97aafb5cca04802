import Foundation
import GRDB
import VouchCore
import Yams

/// One node's config as read from a file, a talosctl output or a live node.
struct ConfigInput {
    var documents: [YAMLDocument]
    /// Documents of the config that could not be parsed (each becomes an error item).
    var errors: [TalosInputError]
    var file: String
    var origin: String
    var sourceType: String
    /// The node name when the config names none (talosctl's `node`, else the file name).
    var fallbackNode: String
    /// Extra item data (talosctl resource metadata, versions reported live).
    var extra: [String: JSONValue] = [:]
    var talosVersion: String?
}

/// A config flattened and redacted, ready to be written (see `TalosRecorder.prepareConfig`).
struct PreparedConfig {
    struct Ready {
        var node: String
        var item: PreparedItem
        /// The redacted YAML, stored as the item's blob.
        var blob: Data
        var blobSHA256: String
        var settings: [FlatSetting]
        /// `settings[i].value.canonicalText`.
        var settingValues: [String]
        /// The `talos_node` columns.
        var postureRow: [(String, (any DatabaseValueConvertible)?)]
    }

    var input: ConfigInput
    /// The secrets seen while preparing.
    var redactor: Redactor
    var outcome: Result<Ready, any Error>
}

extension TalosRecorder {
    /// The name of a document: `v1alpha1`, or its kind with `/name` for named documents.
    static func documentName(_ root: Node?, index: Int) -> (name: String, kind: String?) {
        guard let m = root?.mapping else { return ("document[\(index)]", nil) }
        if let kind = m["kind"]?.string {
            if let name = m["name"]?.string { return ("\(kind)/\(name)", kind) }
            return (kind, kind)
        }
        if let v = m["version"]?.string { return (v, nil) }
        // A patch of the v1alpha1 document names no version.
        if m["machine"] != nil || m["cluster"] != nil { return ("v1alpha1", nil) }
        return ("document[\(index)]", nil)
    }

    /// Records one node config: the item (redacted YAML as blob), its settings and its posture row.
    func recordConfig(_ input: ConfigInput) throws {
        try writeConfig(Self.prepareConfig(input, source: sink.source, maxValues: maxValues))
    }

    /// Everything of a config that needs no store: flattening, redaction, posture, the item. It runs
    /// with its own redactor, so it can run off the writer thread; `writeConfig` hands that
    /// redactor's secrets to the run's one where this code used to register them.
    static func prepareConfig(_ input: ConfigInput, source: String, maxValues: Int) -> PreparedConfig {
        let redactor = Redactor()
        let bytes = input.documents.reduce(0) { $0 + $1.text.utf8.count }
        let flattener = TalosFlattener(redactor: redactor, display: input.file, limit: valueLimit(bytes: bytes, maxValues: maxValues))
        var docs: [TalosDoc] = []
        var redactedParts: [String] = []
        do {
            for (i, d) in input.documents.enumerated() {
                guard let root = d.root else { continue }
                let (name, kind) = Self.documentName(root, index: i)
                let tree = try flattener.flatten(root, document: name, kind: kind, firstLine: d.firstLine)
                docs.append(TalosDoc(name: name, kind: kind, tree: tree))
                redactedParts.append(TalosRedact.redact(d.text, spans: flattener.takeSpans(), secrets: flattener.secretValues,
                                                        redactor: redactor))
            }
        } catch {
            return PreparedConfig(input: input, redactor: redactor, outcome: .failure(error))
        }
        var posture = TalosPosture(docs)
        if let live = input.talosVersion { posture.talosVersion = live }
        let node = posture.hostname ?? input.fallbackNode
        let blob = Data(redactedParts.joined(separator: "---\n").utf8)
        let blobSHA256 = Hashing.sha256Hex(blob)
        let complete = input.errors.isEmpty
        var data = input.extra
        data["node"] = .string(node)
        data["file"] = .string(input.file)
        data["source_type"] = .string(input.sourceType)
        data["documents"] = .array(docs.map { .string($0.name) })
        data["complete"] = .bool(complete)
        data["secret_count"] = .int(Int64(flattener.secretCount))
        data["encrypted_count"] = .int(Int64(flattener.encryptedCount))
        let row = postureRow(posture, node: node, input: input, documentCount: docs.count, complete: complete,
                             sops: flattener.encryptedCount > 0 || docs.contains { $0.tree["sops"] != nil },
                             secretCount: flattener.secretCount)
        data["posture"] = .object(Dictionary(uniqueKeysWithValues: row.map { ($0.0, Self.json($0.1)) }))
        let item = PreparedItem(EvidenceItem(kind: "talos.machineconfig", subject: node, origin: input.origin, data: .object(data),
                                             blobSHA256: blobSHA256), source: source)
        return PreparedConfig(input: input, redactor: redactor, outcome: .success(PreparedConfig.Ready(
            node: node, item: item, blob: blob, blobSHA256: blobSHA256, settings: flattener.settings,
            settingValues: flattener.settings.map(\.value.canonicalText), postureRow: row)))
    }

    /// Writes a prepared config: error items, then the item, its settings and its posture row.
    func writeConfig(_ prepared: PreparedConfig) throws {
        let input = prepared.input
        for e in input.errors { try sink.addError(subject: input.file, origin: input.origin, message: e.errorDescription ?? "\(e)") }
        request.redactor.absorb(prepared.redactor)
        let ready: PreparedConfig.Ready
        switch prepared.outcome {
        case .failure(let e as TalosInputError):
            try sink.addError(subject: input.file, origin: input.origin, message: e.errorDescription ?? "\(e)")
            return
        case .failure(let error): throw error
        case .success(let r): ready = r
        }
        try sink.storeBlob(ready.blob, sha256: ready.blobSHA256)
        let id = try sink.add(ready.item)
        for (s, value) in zip(ready.settings, ready.settingValues) {
            try insertSetting(s, valueText: value, evidenceID: id, node: ready.node, file: input.file, sourceType: input.sourceType)
        }
        let row = ready.postureRow
        let columns = ["capture_id", "evidence_id"] + row.map(\.0)
        let sql = "INSERT INTO talos_node(\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
        var args: [(any DatabaseValueConvertible)?] = [sink.captureID, id]
        args.append(contentsOf: row.map(\.1))
        try sink.db.cachedStatement(sql: sql).execute(arguments: StatementArguments(args))
        noteConfig()
    }

    private static func json(_ v: (any DatabaseValueConvertible)?) -> JSONValue {
        switch v {
        case let i as Int: return .int(Int64(i))
        case let s as String: return .string(s)
        default: return .null
        }
    }

    private static func flag(_ b: Bool) -> Int { b ? 1 : 0 }
    private static func list(_ a: [String]) -> String? { a.isEmpty ? nil : a.joined(separator: ",") }
    private static func jsonList(_ a: [String]) -> String { JSONValue.array(a.map { .string($0) }).canonicalText }

    /// The `talos_node` columns, in a fixed order (also the item's `posture` data).
    static func postureRow(_ p: TalosPosture, node: String, input: ConfigInput, documentCount: Int, complete: Bool, sops: Bool,
                    secretCount: Int) -> [(String, (any DatabaseValueConvertible)?)] {
        typealias R = TalosRecorder
        return [
            ("node", node), ("file", input.file), ("source_type", input.sourceType), ("origin", input.origin),
            ("machine_type", p.machineType), ("talos_version", p.talosVersion), ("kubernetes_version", p.kubernetesVersion),
            ("config_style", p.configStyle), ("document_count", documentCount), ("complete", R.flag(complete)),
            ("sops_encrypted", R.flag(sops)), ("secret_count", secretCount),
            ("install_image", p.installImage), ("install_disk", p.installDisk),
            ("state_encrypted", R.flag(p.stateEncrypted)), ("state_encryption_provider", p.stateProvider),
            ("state_encryption_keys", p.stateKeys),
            ("ephemeral_encrypted", R.flag(p.ephemeralEncrypted)), ("ephemeral_encryption_provider", p.ephemeralProvider),
            ("ephemeral_encryption_keys", p.ephemeralKeys),
            ("time_sync_enabled", R.flag(p.timeSyncEnabled)), ("time_servers", R.jsonList(p.timeServers)),
            ("time_server_count", p.timeServers.count), ("time_nts", R.flag(p.timeNTS)),
            ("log_destination_count", p.logDestinations.count), ("log_destinations", R.jsonList(p.logDestinations)),
            ("kmsg_log_count", p.kmsgLogCount), ("event_sink_count", p.eventSinkCount),
            ("kube_proxy_disabled", R.flag(p.kubeProxyDisabled)), ("cni_name", p.cniName),
            ("pod_security_enforce", p.podSecurityEnforce), ("pod_security_audit", p.podSecurityAudit),
            ("pod_security_warn", p.podSecurityWarn), ("apiserver_audit_policy", R.flag(p.auditPolicy)),
            ("secrets_encryption", R.flag(!p.secretsEncryptionProviders.isEmpty)),
            ("secrets_encryption_providers", R.list(p.secretsEncryptionProviders)),
            ("kubelet_cert_rotation", R.flag(p.kubeletCertRotation)), ("kubelet_seccomp_default", R.flag(p.kubeletSeccompDefault)),
            ("rbac_enabled", p.rbacEnabled.map(R.flag)),
            ("firewall_default_ingress", p.firewallDefaultIngress), ("firewall_rule_count", p.firewallRuleCount),
            ("firewall_open_world", R.flag(!p.firewallOpenWorldRules.isEmpty)),
            ("firewall_open_world_rules", R.list(p.firewallOpenWorldRules)),
            ("talos_api_access_enabled", R.flag(p.talosAPIAccessEnabled)), ("talos_api_access_roles", R.list(p.talosAPIAccessRoles)),
            ("talos_api_access_namespaces", R.list(p.talosAPIAccessNamespaces)),
            ("image_verification", R.flag(p.imageVerificationRules > 0)), ("image_verification_rule_count", p.imageVerificationRules),
            ("workload_isolation", R.flag(p.workloadIsolation)), ("kubespan_enabled", R.flag(p.kubespanEnabled)),
            ("discovery_enabled", R.flag(p.discoveryEnabled)),
        ]
    }
}
