import Foundation
import VouchCore
import Yams

/// Reads `talosctl get machineconfig -o json|yaml` output: one resource per node whose `spec` is the
/// node's whole config as a YAML string. Each becomes a node config; other resource types are skipped.
struct TalosctlOutput {
    let recorder: TalosRecorder

    static let machineConfigType = "MachineConfigs.config.talos.dev"

    /// One JSON object of a stream, with the file line it starts on.
    struct StreamObject {
        var value: JSONValue
        var line: Int
    }

    /// Splits a stream of concatenated JSON objects (talosctl prints one indented object per resource,
    /// not an array) and parses each strictly.
    static func splitJSONStream(_ text: String, display: String) throws -> [StreamObject] {
        var out: [StreamObject] = []
        let bytes = Array(text.utf8)
        var i = 0, line = 1
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x0A { line += 1; i += 1; continue }
            if c == 0x20 || c == 0x09 || c == 0x0D { i += 1; continue }
            guard c == UInt8(ascii: "{") else {
                throw TalosInputError.badJSON(file: display, line: line, column: 1, problem: "expected `{` to start the next object")
            }
            let start = i, startLine = line
            var depth = 0, inString = false, escaped = false
            while i < bytes.count {
                let b = bytes[i]
                if b == 0x0A { line += 1 }
                if inString {
                    if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                } else if b == UInt8(ascii: "\"") {
                    inString = true
                } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                    depth += 1
                } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { i += 1; break }
                }
                i += 1
            }
            guard depth == 0 else {
                throw TalosInputError.badJSON(file: display, line: startLine, column: 1, problem: "the object starting here is not closed")
            }
            do {
                out.append(StreamObject(value: try JSONValue.parse(Data(bytes[start..<i])), line: startLine))
            } catch let e as JSONSyntaxError {
                throw TalosInputError.badJSON(file: display, line: startLine, column: 1, problem: e.localizedDescription)
            }
        }
        return out
    }

    /// Records each MachineConfig resource of a JSON stream.
    func recordJSON(_ objects: [StreamObject], display: String, origin: String, sourceType: String, talosVersion: String? = nil) throws {
        for (i, o) in objects.enumerated() {
            try recordResource(o.value, index: i, line: o.line, display: display, origin: origin, sourceType: sourceType,
                               talosVersion: talosVersion)
        }
    }

    /// Records each MachineConfig resource of a YAML stream (`node:`, `metadata:`, `spec: |`).
    func recordYAML(_ docs: [YAMLDocument], display: String, origin: String, sourceType: String) throws {
        for (i, d) in docs.enumerated() {
            guard let m = d.root?.mapping else { continue }
            var obj: [String: JSONValue] = [:]
            if let node = m["node"]?.string { obj["node"] = .string(node) }
            if let spec = m["spec"]?.string { obj["spec"] = .string(spec) }
            if let meta = m["metadata"]?.mapping {
                var md: [String: JSONValue] = [:]
                for (k, v) in meta { if let ks = k.string, let vs = v.string { md[ks] = .string(vs) } }
                obj["metadata"] = .object(md)
            }
            try recordResource(.object(obj), index: i, line: d.firstLine, display: display, origin: origin, sourceType: sourceType,
                               talosVersion: nil)
        }
    }

    private func recordResource(_ r: JSONValue, index: Int, line: Int, display: String, origin: String, sourceType: String,
                                talosVersion: String?) throws {
        let meta = r["metadata"] ?? .null
        guard meta["type"]?.stringValue == Self.machineConfigType else { return }
        let node = r["node"]?.stringValue ?? (index == 0 ? display : "\(display)#\(index)")
        guard let spec = r["spec"]?.stringValue else {
            try recorder.sink.addError(subject: node, origin: origin,
                                       message: TalosInputError.badSpec(file: display, node: node,
                                                                        reason: "`spec` is not the config as a YAML string (line \(line))").errorDescription!)
            return
        }
        let label = "\(display) [node \(node)]"
        let parsed = TalosYAML.documents(spec, display: label)
        var extra: [String: JSONValue] = ["talosctl_node": .string(node)]
        var md: [String: JSONValue] = [:]
        for k in ["namespace", "type", "id", "version", "phase", "created", "updated"] { if let v = meta[k] { md[k] = v } }
        extra["resource"] = .object(md)
        try recorder.recordConfig(ConfigInput(
            documents: parsed.compactMap { try? $0.get() },
            errors: parsed.compactMap { if case .failure(let e) = $0 { return e }; return nil },
            file: display, origin: origin, sourceType: sourceType, fallbackNode: node, extra: extra, talosVersion: talosVersion))
    }
}
