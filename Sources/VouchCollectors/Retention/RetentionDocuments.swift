import Foundation
import VouchCore

/// Reads retention out of one YAML/JSON document: Kubernetes workloads (container flags),
/// prometheus-operator and thanos-operator objects, Helm values (kube-prometheus-stack, Thanos, Loki)
/// plain or inside a Flux HelmRelease, OpenShift Templates and Lists, ConfigMaps holding configs,
/// Prometheus and Loki configuration files, and retention flags in any other list of arguments.
final class RetentionDocuments {
    var file: String
    var template: TemplateText
    private(set) var findings: [RetentionFinding] = []
    private(set) var errors: [RetentionValueError] = []
    /// What the document was recognised as (for the evidence item).
    private(set) var recognized: [String] = []

    init(file: String, template: TemplateText) {
        self.file = file
        self.template = template
    }

    static let workloads: Set<String> = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Pod", "DeploymentConfig"]

    func read(_ v: JSONValue, line: Int) {
        visit(v, origin: "\(file):\(line)")
    }

    private func attempt(_ body: () throws -> [RetentionFinding]) {
        do { findings.append(contentsOf: try body()) } catch let e as RetentionValueError {
            errors.append(RetentionValueError(setting: e.setting, raw: template.restore(e.raw), origin: e.origin, expected: e.expected))
        } catch {
            errors.append(RetentionValueError(setting: "?", raw: "\(error)", origin: file, expected: "a readable value"))
        }
    }

    /// A scalar as text, with template markers turned back into their `{{ … }}` source.
    private func text(_ v: JSONValue?) -> String? {
        switch v {
        case .string(let s)?: return template.restore(s)
        case .int(let i)?: return String(i)
        case .double(let d)?: return String(d)
        case .bool(let b)?: return String(b)
        default: return nil
        }
    }

    private func visit(_ v: JSONValue, origin: String) {
        guard let o = v.objectValue else { return }
        let kind = o["kind"]?.stringValue ?? ""
        let api = o["apiVersion"]?.stringValue ?? ""
        let meta = o["metadata"]
        let instance = [meta?["namespace"].flatMap(text), meta?["name"].flatMap(text)].compactMap { $0 }.joined(separator: "/")
        let spec = o["spec"] ?? .null
        switch kind {
        case "List": for item in o["items"]?.arrayValue ?? [] { visit(item, origin: origin) }
        case "Template": for item in o["objects"]?.arrayValue ?? [] { visit(item, origin: origin) }
        case "Prometheus" where api.hasPrefix("monitoring.coreos.com"):
            recognized.append("prometheus-operator Prometheus \(instance)")
            attempt {
                [try RetentionRules.prometheus(
                    instance: instance, time: text(spec["retention"]).map { ("spec.retention", $0) },
                    size: text(spec["retentionSize"]).map { ("spec.retentionSize", $0) }, origin: origin,
                    defaultTime: RetentionRules.operatorDefault)]
            }
        case "ThanosRuler" where api.hasPrefix("monitoring.coreos.com"):
            recognized.append("prometheus-operator ThanosRuler \(instance)")
            let raw = text(spec["retention"])
            attempt { [try RetentionRules.zeroIsForever(system: "thanos", component: "ruler", instance: instance, setting: "spec.retention",
                                                        raw: raw ?? RetentionRules.operatorDefault, origin: origin, isDefault: raw == nil)] }
        case "ThanosRuler" where api.hasPrefix("monitoring.thanos.io"):
            recognized.append("thanos-operator ThanosRuler \(instance)")
            if let raw = text(spec["retention"]) {
                attempt { [try RetentionRules.zeroIsForever(system: "thanos", component: "ruler", instance: instance, setting: "spec.retention",
                                                            raw: raw, origin: origin)] }
            }
        case "ThanosCompact":
            recognized.append("thanos-operator ThanosCompact \(instance)")
            let config = spec["retentionConfig"]
            for (res, key) in [("raw", "raw"), ("5m", "fiveMinutes"), ("1h", "oneHour")] {
                let raw = text(config?[key])
                attempt { [try RetentionRules.zeroIsForever(system: "thanos", component: "compactor", instance: instance, resolution: res,
                                                            setting: "spec.retentionConfig.\(key)", raw: raw ?? "0d", origin: origin,
                                                            isDefault: raw == nil)] }
            }
        case "ThanosReceive":
            recognized.append("thanos-operator ThanosReceive \(instance)")
            for ring in spec["ingesterSpec"]?["hashrings"]?.arrayValue ?? [] {
                guard let raw = text(ring["tsdbConfig"]?["retention"]) else { continue }
                let name = text(ring["name"]).map { "\(instance)/\($0)" } ?? instance
                attempt { [try RetentionRules.zeroIsForever(system: "thanos", component: "receive", instance: name,
                                                            setting: "spec.ingesterSpec.hashrings.tsdbConfig.retention", raw: raw, origin: origin)] }
            }
        case "HelmRelease":
            recognized.append("HelmRelease \(instance)")
            helmValues(spec["values"] ?? .null, instance: instance, origin: origin, prefix: "spec.values.")
        case "ConfigMap":
            for (key, value) in o["data"]?.objectValue ?? [:] {
                guard let s = value.stringValue, s.contains("retention") else { continue }
                let (docs, _) = ManifestReader.documents(text: s, file: "\(file)[\(key)]")
                for d in docs where d.value["kind"] == nil {
                    config(d.value, instance: "\(instance)/\(key)", origin: origin)
                }
            }
        case "CronJob":
            containers(spec["jobTemplate"]?["spec"]?["template"]?["spec"], instance: instance, origin: origin)
        case _ where Self.workloads.contains(kind):
            containers(kind == "Pod" ? spec : spec["template"]?["spec"], instance: instance, origin: origin)
        case "":
            config(v, instance: file, origin: origin)
        default:
            genericFlags(v, instance: instance.isEmpty ? file : instance, origin: origin)
        }
    }

    /// Container command lines of a pod spec.
    private func containers(_ podSpec: JSONValue?, instance: String, origin: String) {
        let all = (podSpec?["containers"]?.arrayValue ?? []) + (podSpec?["initContainers"]?.arrayValue ?? [])
        for c in all {
            let args = ((c["command"]?.arrayValue ?? []) + (c["args"]?.arrayValue ?? [])).compactMap(text)
                .map { RetentionFlags.Arg(text: $0, line: nil) }
            let program = text(c["image"]) ?? args.first?.text
            let before = findings.count
            attempt { try RetentionFlags.findings(args, program: program, instance: instance, originFile: origin, fallbackLine: 0) }
            if findings.count > before { recognized.append("container \(text(c["name"]) ?? "?") of \(instance)") }
        }
        // Origins were built as "file:line:0"; keep the document's file:line.
        for i in findings.indices where findings[i].origin.hasSuffix(":0") { findings[i].origin = origin }
    }

    /// A Prometheus or Loki configuration file, Helm values, or anything else holding flags.
    private func config(_ v: JSONValue, instance: String, origin: String) {
        if v["status"] == "success", let data = v["data"], data["storageRetention"] != nil || data["storage.tsdb.retention.time"] != nil {
            // A saved answer of the Prometheus status API (runtimeinfo or flags).
            recognized.append("Prometheus status API answer")
            let flags = data["storage.tsdb.retention.time"] != nil ? data : .object([:])
            attempt { [try RetentionLive.effective(instance: instance, flags: flags, config: nil, runtime: data,
                                                   origins: ["runtimeinfo": origin, "flags": origin])] }
            return
        }
        let isPrometheus = v["scrape_configs"] != nil || v["global"] != nil || v["rule_files"] != nil
            || v["storage"]?["tsdb"] != nil || v["remote_write"] != nil || v["alerting"] != nil
        if isPrometheus {
            recognized.append("Prometheus configuration")
            let r = v["storage"]?["tsdb"]?["retention"]
            let time = text(r?["time"]), size = text(r?["size"])
            if time != nil || size != nil {
                attempt { [try RetentionRules.prometheus(instance: instance, time: time.map { ("storage.tsdb.retention.time", $0) },
                                                         size: size.map { ("storage.tsdb.retention.size", $0) }, origin: origin,
                                                         zeroMeansUnlimited: true)] }
            }
            return
        }
        if v["compactor"]?["retention_enabled"] != nil || v["limits_config"] != nil || v["schema_config"] != nil {
            loki(v, instance: instance, origin: origin, prefix: "")
            return
        }
        helmValues(v, instance: instance, origin: origin, prefix: "")
    }

    /// Loki: retention only when the compactor applies it; otherwise logs are kept forever.
    private func loki(_ v: JSONValue, instance: String, origin: String, prefix: String) {
        recognized.append("Loki configuration")
        let enabledRaw = text(v["compactor"]?["retention_enabled"])
        let enabled = enabledRaw.map { ["true", "1"].contains($0.lowercased()) } ?? false
        guard enabled else {
            findings.append(RetentionFinding(system: "loki", component: "compactor", instance: instance, unlimited: true,
                                             isDefault: enabledRaw == nil, setting: prefix + "compactor.retention_enabled",
                                             raw: enabledRaw ?? "false", origin: origin))
            return
        }
        let period = text(v["limits_config"]?["retention_period"])
        attempt { [try RetentionRules.zeroIsForever(system: "loki", component: "compactor", instance: instance,
                                                    setting: prefix + "limits_config.retention_period", raw: period ?? "0s",
                                                    origin: origin, isDefault: period == nil)] }
        for (i, stream) in (v["limits_config"]?["retention_stream"]?.arrayValue ?? []).enumerated() {
            guard let p = text(stream["period"]) else { continue }
            let selector = text(stream["selector"]) ?? "#\(i)"
            attempt { [try RetentionRules.zeroIsForever(system: "loki", component: "compactor", instance: "\(instance) \(selector)",
                                                        setting: prefix + "limits_config.retention_stream[\(i)].period", raw: p, origin: origin)] }
        }
    }

    /// Helm values: kube-prometheus-stack, the Bitnami Thanos chart, the Loki chart; else flags anywhere.
    private func helmValues(_ v: JSONValue, instance: String, origin: String, prefix: String) {
        var matched = false
        if let ps = v["prometheus"]?["prometheusSpec"] {
            matched = true
            recognized.append("kube-prometheus-stack values")
            let time = text(ps["retention"]), size = text(ps["retentionSize"])
            if time == nil && size == nil {
                // The chart's own default depends on its version: not guessed.
                findings.append(RetentionFinding(system: "prometheus", component: "tsdb", instance: instance, unresolved: true,
                                                 setting: prefix + "prometheus.prometheusSpec.retention", raw: nil, origin: origin))
            } else {
                attempt { [try RetentionRules.prometheus(
                    instance: instance, time: time.map { (prefix + "prometheus.prometheusSpec.retention", $0) },
                    size: size.map { (prefix + "prometheus.prometheusSpec.retentionSize", $0) }, origin: origin,
                    defaultTime: RetentionRules.operatorDefault)] }
            }
        }
        if let c = v["compactor"], c["retentionResolutionRaw"] != nil || c["retentionResolution5m"] != nil || c["retentionResolution1h"] != nil {
            matched = true
            recognized.append("Thanos chart values")
            for (res, key) in [("raw", "retentionResolutionRaw"), ("5m", "retentionResolution5m"), ("1h", "retentionResolution1h")] {
                guard let raw = text(c[key]) else { continue }
                attempt { [try RetentionRules.zeroIsForever(system: "thanos", component: "compactor", instance: instance, resolution: res,
                                                            setting: prefix + "compactor.\(key)", raw: raw, origin: origin)] }
            }
        }
        if let raw = text(v["receive"]?["tsdbRetention"]) {
            matched = true
            attempt { [try RetentionRules.zeroIsForever(system: "thanos", component: "receive", instance: instance,
                                                        setting: prefix + "receive.tsdbRetention", raw: raw, origin: origin)] }
        }
        if let l = v["loki"], l["compactor"] != nil || l["limits_config"] != nil {
            matched = true
            loki(l, instance: instance, origin: origin, prefix: prefix + "loki.")
        }
        if !matched { genericFlags(v, instance: instance, origin: origin) }
    }

    /// Retention flags in any list of strings (docker-compose `command:`, operator `additionalArgs`).
    private func genericFlags(_ v: JSONValue, instance: String, origin: String) {
        switch v {
        case .array(let a):
            let strings = a.compactMap(\.stringValue)
            if strings.count == a.count, strings.contains(where: { s in RetentionFlags.names.contains { s.contains($0) } }) {
                let args = strings.flatMap { RetentionFlags.shellWords(template.restore($0)) }.map { RetentionFlags.Arg(text: $0, line: nil) }
                attempt { try RetentionFlags.findings(args, program: nil, instance: instance, originFile: origin, fallbackLine: 0) }
                for i in findings.indices where findings[i].origin.hasSuffix(":0") { findings[i].origin = origin }
            } else {
                for x in a { genericFlags(x, instance: instance, origin: origin) }
            }
        case .object(let o):
            for k in o.keys.sorted() { genericFlags(o[k]!, instance: instance, origin: origin) }
        case .string(let s) where s.contains(" ") && RetentionFlags.names.contains(where: { s.contains("-" + $0) }):
            genericFlags(.array([.string(s)]), instance: instance, origin: origin)
        default: break
        }
    }
}
