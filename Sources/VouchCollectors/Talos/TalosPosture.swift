import Foundation
import VouchCore

/// One parsed (and redacted) document of a node's config.
struct TalosDoc {
    /// `v1alpha1`, or the kind with `/name` for named documents.
    var name: String
    /// nil for the v1alpha1 document.
    var kind: String?
    var tree: JSONValue
}

/// The security posture of one node's config, normalized across Talos config versions: the legacy
/// v1alpha1 paths (≤ 1.10) and the multi-document kinds that replace them (1.11–1.15).
/// It records what is declared; it never judges.
struct TalosPosture {
    var hostname: String?
    var machineType: String?
    var talosVersion: String?
    var kubernetesVersion: String?
    var configStyle = "v1alpha1"
    var installImage: String?
    var installDisk: String?
    var stateEncrypted = false, stateProvider: String?, stateKeys: String?
    var ephemeralEncrypted = false, ephemeralProvider: String?, ephemeralKeys: String?
    var timeSyncEnabled = true
    var timeServers: [String] = []
    var timeNTS = false
    var logDestinations: [String] = []
    var kmsgLogCount = 0
    var eventSinkCount = 0
    var kubeProxyDisabled = false
    var cniName: String?
    var podSecurityEnforce: String?, podSecurityAudit: String?, podSecurityWarn: String?
    var auditPolicy = false
    var secretsEncryptionProviders: [String] = []
    var kubeletCertRotation = false
    var kubeletSeccompDefault = false
    var rbacEnabled: Bool?
    var firewallDefaultIngress: String?
    var firewallRuleCount = 0
    var firewallOpenWorldRules: [String] = []
    var talosAPIAccessEnabled = false
    var talosAPIAccessRoles: [String] = []
    var talosAPIAccessNamespaces: [String] = []
    var imageVerificationRules = 0
    var workloadIsolation = false
    var kubespanEnabled = false
    var discoveryEnabled = false

    init(_ docs: [TalosDoc]) {
        let v1 = docs.first { $0.kind == nil }?.tree ?? .object([:])
        let machine = v1["machine"] ?? .null
        let cluster = v1["cluster"] ?? .null
        if docs.contains(where: { $0.kind != nil }) { configStyle = "multidoc" }
        hostname = machine.at("network.hostname")?.stringValue
        machineType = machine["type"]?.stringValue
        installImage = machine.at("install.image")?.stringValue
        installDisk = machine.at("install.disk")?.stringValue
        var kubeletImage = machine.at("kubelet.image")?.stringValue
        var apiServerImage = cluster.at("apiServer.image")?.stringValue
        let kernelArgs = machine.at("install.extraKernelArgs")?.arrayValue?.compactMap(\.stringValue) ?? []

        // Legacy v1alpha1 settings.
        for (volume, enc) in [("state", machine.at("systemDiskEncryption.state")), ("ephemeral", machine.at("systemDiskEncryption.ephemeral"))] {
            if let enc { setEncryption(volume, enc) }
        }
        if let time = machine["time"] {
            if time["disabled"]?.boolValue == true { timeSyncEnabled = false }
            timeServers = time["servers"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        logDestinations = machine.at("logging.destinations")?.arrayValue?.compactMap { $0["endpoint"]?.stringValue } ?? []
        kmsgLogCount = kernelArgs.filter { $0.hasPrefix("talos.logging.kernel=") }.count
        eventSinkCount = kernelArgs.filter { $0.hasPrefix("talos.events.sink=") }.count
        if cluster.at("proxy.disabled")?.boolValue == true { kubeProxyDisabled = true }
        if let cni = cluster.at("network.cni.name")?.stringValue { cniName = cni }
        if let admission = cluster.at("apiServer.admissionControl")?.arrayValue {
            for a in admission where a["name"]?.stringValue == "PodSecurity" { setPodSecurity(a["configuration"]) }
        }
        if let audit = cluster.at("apiServer.auditPolicy"), audit != .null, audit != .object([:]) { auditPolicy = true }
        for (key, provider) in [("secretboxEncryptionSecret", "secretbox"), ("aescbcEncryptionSecret", "aescbc")] {
            if let s = cluster[key]?.stringValue, !s.isEmpty { secretsEncryptionProviders.append(provider) }
        }
        setKubelet(machine["kubelet"])
        if let rbac = machine.at("features.rbac")?.boolValue { rbacEnabled = rbac }
        if let access = machine.at("features.kubernetesTalosAPIAccess") { setTalosAPIAccess(access, impliedEnabled: false) }
        if machine.at("network.kubespan.enabled")?.boolValue == true { kubespanEnabled = true }
        if cluster.at("discovery.enabled")?.boolValue == true { discoveryEnabled = true }

        // Multi-document kinds (1.11+): they override the legacy paths where both are present.
        var sawKubeDocs = false
        for doc in docs {
            guard let kind = doc.kind else { continue }
            let t = doc.tree
            if kind.hasPrefix("Kube") && kind != "KubeSpanConfig" && kind != "KubeSpanEndpointsConfig" { sawKubeDocs = true }
            switch kind {
            case "HostnameConfig": if let h = t["hostname"]?.stringValue { hostname = h }
            case "VolumeConfig":
                let name = t["name"]?.stringValue ?? ""
                if let enc = t["encryption"], name == "STATE" || name == "EPHEMERAL" { setEncryption(name.lowercased(), enc) }
            case "TimeSyncConfig":
                if t["enabled"]?.boolValue == false { timeSyncEnabled = false }
                if let s = t.at("ntp.servers")?.arrayValue { timeServers = s.compactMap(\.stringValue) }
                if t.at("ntp.useNTS")?.boolValue == true { timeNTS = true }
            case "KmsgLogConfig": kmsgLogCount += 1
            case "EventSinkConfig": eventSinkCount += 1
            case "KubeProxyConfig": if t["enabled"]?.boolValue == false { kubeProxyDisabled = true }
            case "KubeFlannelCNIConfig": cniName = "flannel"
            case "KubeAdmissionControlConfig": if t["name"]?.stringValue == "PodSecurity" { setPodSecurity(t["configuration"]) }
            case "KubeAuditPolicyConfig": if let c = t["configuration"], c != .null, c != .object([:]) { auditPolicy = true }
            case "KubeEtcdEncryptionConfig": setEtcdEncryption(t["config"])
            case "KubeletConfig":
                setKubelet(t)
                if let i = t["image"]?.stringValue { kubeletImage = i }
            case "KubeAPIServerConfig": if let i = t["image"]?.stringValue { apiServerImage = i }
            case "KubeTalosAPIAccessConfig": setTalosAPIAccess(t, impliedEnabled: true)
            case "NetworkDefaultActionConfig": firewallDefaultIngress = t["ingress"]?.stringValue
            case "NetworkRuleConfig":
                firewallRuleCount += 1
                let open = t["ingress"]?.arrayValue?.contains { rule in
                    guard let subnet = rule["subnet"]?.stringValue else { return false }
                    return ["0.0.0.0/0", "::/0"].contains(subnet)
                } ?? false
                if open { firewallOpenWorldRules.append(t["name"]?.stringValue ?? doc.name) }
            case "ImageVerificationConfig": imageVerificationRules += t["rules"]?.arrayValue?.count ?? 0
            case "SecurityProfileConfig": if t["workloadIsolation"]?.boolValue == true { workloadIsolation = true }
            case "KubeSpanConfig": if t["enabled"]?.boolValue == true { kubespanEnabled = true }
            case "DiscoveryServiceConfig": discoveryEnabled = true
            case "UnattendedInstallConfig": if let i = t.at("installer.image")?.stringValue { installImage = i }
            default: break
            }
        }
        // CNI: v1alpha1 defaults to flannel; with the 1.14+ Kube* documents, flannel is a document of its own.
        if cniName == nil, !sawKubeDocs, docs.contains(where: { $0.kind == nil && $0.tree["cluster"] != nil }) { cniName = "flannel" }
        talosVersion = installImage.flatMap(Self.versionTag)
        kubernetesVersion = (kubeletImage ?? apiServerImage).flatMap(Self.versionTag)
    }

    /// `v1.10.1` from `ghcr.io/siderolabs/installer:v1.10.1` (or `…:v1.13.4@sha256:…`); nil for `latest`.
    static func versionTag(_ image: String) -> String? {
        var ref = Substring(image)
        if let at = ref.firstIndex(of: "@") { ref = ref[..<at] }
        guard let colon = ref.lastIndex(of: ":"), !ref[colon...].contains("/") else { return nil }
        let tag = ref[ref.index(after: colon)...]
        guard tag.first == "v", tag.dropFirst().first?.isNumber == true else { return nil }
        return String(tag)
    }

    private mutating func setEncryption(_ volume: String, _ enc: JSONValue) {
        guard enc != .null, enc != .object([:]) else { return }
        let provider = enc["provider"]?.stringValue ?? "luks2"
        var kinds = Set<String>()
        for key in enc["keys"]?.arrayValue ?? [] {
            for k in ["static", "nodeID", "kms", "tpm"] where key[k] != nil { kinds.insert(k) }
        }
        let keys = kinds.isEmpty ? nil : kinds.sorted().joined(separator: ",")
        if volume == "state" { stateEncrypted = true; stateProvider = provider; stateKeys = keys }
        if volume == "ephemeral" { ephemeralEncrypted = true; ephemeralProvider = provider; ephemeralKeys = keys }
    }

    private mutating func setPodSecurity(_ configuration: JSONValue?) {
        guard let defaults = configuration?["defaults"] else { return }
        podSecurityEnforce = defaults["enforce"]?.stringValue ?? podSecurityEnforce
        podSecurityAudit = defaults["audit"]?.stringValue ?? podSecurityAudit
        podSecurityWarn = defaults["warn"]?.stringValue ?? podSecurityWarn
    }

    private mutating func setEtcdEncryption(_ config: JSONValue?) {
        for resource in config?["resources"]?.arrayValue ?? [] {
            for provider in resource["providers"]?.arrayValue ?? [] {
                for name in provider.objectValue?.keys.sorted() ?? [] where name != "identity" {
                    if !secretsEncryptionProviders.contains(name) { secretsEncryptionProviders.append(name) }
                }
            }
        }
    }

    private mutating func setKubelet(_ kubelet: JSONValue?) {
        guard let kubelet else { return }
        if let v = kubelet["extraArgs"]?["rotate-server-certificates"], v == .bool(true) || v == .string("true") {
            kubeletCertRotation = true
        }
        for cfg in [kubelet["extraConfig"], kubelet["config"]] where cfg?["serverTLSBootstrap"]?.boolValue == true {
            kubeletCertRotation = true
        }
        if let s = kubelet["defaultRuntimeSeccompProfileEnabled"]?.boolValue { kubeletSeccompDefault = s }
    }

    private mutating func setTalosAPIAccess(_ access: JSONValue, impliedEnabled: Bool) {
        talosAPIAccessEnabled = access["enabled"]?.boolValue ?? impliedEnabled
        talosAPIAccessRoles = access["allowedRoles"]?.arrayValue?.compactMap(\.stringValue).sorted() ?? []
        talosAPIAccessNamespaces = access["allowedKubernetesNamespaces"]?.arrayValue?.compactMap(\.stringValue).sorted() ?? []
    }
}

extension JSONValue {
    /// The value at a dotted path of object keys (`install.image`), or nil.
    func at(_ path: String) -> JSONValue? {
        var v: JSONValue? = self
        for part in path.split(separator: ".") { v = v?[String(part)] }
        return v
    }
}
