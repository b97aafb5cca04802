import Foundation
import VouchCore

/// Reads the effective retention of a running Prometheus from its status API.
///
/// `/api/v1/status/runtimeinfo` `storageRetention` is what the TSDB applies ("1y5w", "15d or 512MiB");
/// when it is missing, the config file's `storage.tsdb.retention` (3.x, takes precedence), then the
/// flags, then the 15d default. Every response is kept as a blob; the URL is the origin.
enum RetentionLive {
    static let endpoints = ["flags", "config", "runtimeinfo", "buildinfo"]

    static func collect(url: String, request: CollectRequest, sink: CaptureSink) throws {
        let (host, port, prefix) = try PlainHTTP.parse(url)
        let instance = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var data: [String: JSONValue] = [:]
        var origins: [String: String] = [:]
        var itemIDs: [Int64] = []
        for name in endpoints {
            let path = "\(prefix)/api/v1/status/\(name)"
            let origin = "http://\(instance)\(path)"
            let response: PlainHTTP.Response
            do { response = try PlainHTTP.get(host: host, port: port, path: path) } catch {
                if name == "flags" {
                    throw CollectError.sourceFailed(source: request.source, target: request.target,
                                                    reason: (error as? LocalizedError)?.errorDescription ?? "\(error)")
                }
                try sink.addError(subject: "\(instance) \(name)", origin: origin, message: "\(error)")
                continue
            }
            let body = request.redactor.scrub(String(decoding: response.body, as: UTF8.self))
            let blob = try sink.storeBlob(Data(body.utf8))
            guard response.status == 200, let envelope = try? JSONValue.parse(body), envelope["status"] == "success",
                  let payload = envelope["data"] else {
                if name == "buildinfo" { continue }  // older servers and Thanos lack it
                try sink.addError(subject: "\(instance) \(name)", origin: origin,
                                  message: "\(origin): HTTP \(response.status), not a Prometheus status API answer; check the URL points at Prometheus")
                continue
            }
            data[name] = payload
            origins[name] = origin
            itemIDs.append(try sink.add(EvidenceItem(kind: "retention.prometheus.\(name)", subject: instance, origin: origin,
                                                     data: payload, blobSHA256: blob)))
        }
        guard let flags = data["flags"] else { return }
        let finding = try effective(instance: instance, flags: flags, config: data["config"], runtime: data["runtimeinfo"], origins: origins)
        try sink.insertFact("retention_setting", RetentionCollector.factValues(finding, evidenceID: itemIDs.first!))
    }

    static func effective(instance: String, flags: JSONValue, config: JSONValue?, runtime: JSONValue?,
                          origins: [String: String]) throws -> RetentionFinding {
        if let retention = runtime?["storageRetention"]?.stringValue, !retention.isEmpty {
            var time: String?, size: String?
            for part in retention.components(separatedBy: " or ") {
                let p = part.trimmingCharacters(in: .whitespaces)
                if PromDuration.milliseconds(p) != nil { time = p } else if PromDuration.bytes(p) != nil { size = p }
            }
            if time != nil || size != nil {
                var f = try RetentionRules.prometheus(instance: instance, time: time.map { ("runtimeinfo.storageRetention", $0) },
                                                      size: size.map { ("runtimeinfo.storageRetention", $0) },
                                                      origin: origins["runtimeinfo"] ?? instance)
                f.setting = "runtimeinfo.storageRetention"
                f.raw = retention
                return f
            }
        }
        if let yaml = config?["yaml"]?.stringValue {
            let (docs, _) = ManifestReader.documents(text: yaml, file: "config")
            let r = docs.first?.value["storage"]?["tsdb"]?["retention"]
            let time = r?["time"].map(LabelSelector.text), size = r?["size"].map(LabelSelector.text)
            if time != nil || size != nil {
                return try RetentionRules.prometheus(instance: instance, time: time.map { ("storage.tsdb.retention.time", $0) },
                                                     size: size.map { ("storage.tsdb.retention.size", $0) },
                                                     origin: origins["config"] ?? instance, zeroMeansUnlimited: true)
            }
        }
        let time = flags["storage.tsdb.retention.time"]?.stringValue.flatMap { $0 == "0s" ? nil : $0 }
            ?? flags["storage.tsdb.retention"]?.stringValue.flatMap { $0 == "0s" ? nil : $0 }
        let size = flags["storage.tsdb.retention.size"]?.stringValue.flatMap { $0 == "0B" || $0 == "0" ? nil : $0 }
        return try RetentionRules.prometheus(instance: instance, time: time.map { ("--storage.tsdb.retention.time", $0) },
                                             size: size.map { ("--storage.tsdb.retention.size", $0) },
                                             origin: origins["flags"] ?? instance)
    }
}
