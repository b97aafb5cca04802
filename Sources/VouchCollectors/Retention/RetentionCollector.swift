import Foundation
import GRDB
import VouchCore

/// The `retention` source: how long Prometheus, Thanos and Loki keep data.
///
/// TARGET is a file or folder (manifests, Helm values, Prometheus/Loki configs, systemd units and
/// environment files, Helm/Go templates) or `http://HOST:PORT` of a running Prometheus. Every value
/// is parsed in Prometheus syntax; placeholders (`${VAR}`, `$(VAR)`, `{{ … }}`) are recorded as
/// unresolved, never guessed. NixOS `services.prometheus.retentionTime` comes through the `nixos` source.
public struct RetentionCollector: Collector {
    public let source = "retention"
    public let targetSyntax = "FILE_OR_DIR|http://HOST:PORT"
    public let summary = "metrics and log retention of Prometheus, Thanos and Loki from manifests, configs, units, or a live Prometheus"

    static let textExtensions: Set<String> = ["yaml", "yml", "json", "tpl", "service", "conf", "env", "sh", "cfg", "args", ""]

    public init() {}

    public func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        if request.target.hasPrefix("http://") || request.target.hasPrefix("https://") {
            try RetentionLive.collect(url: request.target, request: request, sink: sink)
            return
        }
        let files = try ManifestFiles.list(request, extensions: Self.textExtensions.union(["nix", "md", "txt", "tmpl"]))
        for file in files {
            let ext = (file.relative as NSString).pathExtension.lowercased()
            if !Self.textExtensions.contains(ext) {
                let reason = ext == "nix" ? "Nix expressions are read by the nixos source (services.prometheus.retentionTime)"
                    : "not a configuration file type vouch reads for retention"
                try sink.add(EvidenceItem(kind: "retention.skipped", subject: file.relative, origin: file.relative,
                                          data: ["reason": .string(reason)]))
                continue
            }
            switch ManifestFiles.read(file) {
            case .failure(let p):
                if ext.isEmpty { continue }  // an extension-less binary next to the configs: not ours
                try sink.addError(subject: file.relative, origin: file.relative, message: "\(file.relative): \(p.message)")
            case .success(let text):
                try collectFile(file, text: text, ext: ext, sink: sink, redactor: request.redactor)
            }
        }
    }

    private func collectFile(_ file: ManifestFiles.File, text: String, ext: String, sink: CaptureSink, redactor: Redactor) throws {
        var findings: [RetentionFinding] = []
        var errors: [RetentionValueError] = []
        var recognized: [String] = []
        let yamlLike = ["yaml", "yml", "json", "tpl", "tmpl"].contains(ext)
        if yamlLike {
            var template = TemplateText()
            let source = TemplateText.isTemplated(text) ? template.neutralize(text) : text
            let (docs, problems) = ManifestReader.documents(text: source, file: file.relative)
            for p in problems {
                try sink.addError(subject: file.relative, origin: "\(p.file):\(p.line)",
                                  message: "\(p.file):\(p.line): \(p.message); fix the document (or exclude the file) and collect again")
            }
            let reader = RetentionDocuments(file: file.relative, template: template)
            for d in docs { reader.read(d.value, line: d.line) }
            findings = reader.findings
            errors = reader.errors
            recognized = reader.recognized
            if !template.expressions.isEmpty { recognized.append("template with \(template.expressions.count) {{ }} expressions (unrendered)") }
        } else {
            for cmd in RetentionFlags.commandLines(text) {
                do {
                    findings += try RetentionFlags.findings(cmd.args, program: cmd.program, instance: file.relative,
                                                            originFile: file.relative, fallbackLine: cmd.line)
                } catch let e as RetentionValueError { errors.append(e) }
            }
            if !findings.isEmpty { recognized.append("command line flags") }
        }
        for e in errors {
            try sink.addError(subject: file.relative, origin: e.origin,
                              message: "\(e.origin): \(e.setting) = \(e.raw) is not \(e.expected); correct the value (Prometheus would reject it)")
        }
        guard !findings.isEmpty || !recognized.isEmpty || yamlLike else { return }
        // The raw file, credentials replaced by fingerprints; a file holding a Secret object is not kept at all.
        let withheld = SecretLines.holdsSecretObject(text)
        let blob = withheld ? nil : try sink.storeBlob(Data(SecretLines.redact(text, redactor: redactor).utf8))
        var data: [String: JSONValue] = ["recognized": .array(recognized.map { .string($0) }), "settings": .array(findings.map(\.json))]
        if withheld { data["blob_withheld"] = "the file holds a Kubernetes Secret" }
        let id = try sink.add(EvidenceItem(kind: "retention.file", subject: file.relative, origin: file.relative,
                                           data: .object(data), blobSHA256: blob))
        for f in findings { try sink.insertFact("retention_setting", Self.factValues(f, evidenceID: id)) }
    }

    static func factValues(_ f: RetentionFinding, evidenceID: Int64) -> KeyValuePairs<String, (any DatabaseValueConvertible)?> {
        [
            "evidence_id": evidenceID, "system": f.system, "component": f.component, "instance": f.instance,
            "resolution": f.resolution, "duration_seconds": f.durationMS.map { $0 / 1000 }, "duration_ms": f.durationMS,
            "size_bytes": f.sizeBytes, "unlimited": f.unlimited ? 1 : 0, "unresolved": f.unresolved ? 1 : 0,
            "is_default": f.isDefault ? 1 : 0, "setting": f.setting, "raw": f.raw, "origin": f.origin,
        ]
    }
}
