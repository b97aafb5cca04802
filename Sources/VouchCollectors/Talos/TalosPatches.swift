import Foundation
import VouchCore
import Yams

/// Records config patches: RFC 6902 JSON-patch lists, strategic-merge patches (with `$patch: delete`),
/// and the patches a talhelper `talconfig.yaml` applies per scope (all, controlPlane, worker, node).
/// Patches are recorded as what they change; they are not applied to any config.
struct TalosPatches {
    let recorder: TalosRecorder

    private struct Row {
        var scope: String, index: Int, type: String, op: String, document: String, path: String, value: String?
        var secret: Bool, encrypted: Bool
    }

    func record(_ docs: [YAMLDocument], kind: TalosFileKind, text: String, display: String, origin: String) throws {
        let flattener = TalosFlattener(redactor: recorder.request.redactor, display: display,
                                       limit: recorder.valueLimit(bytes: text.utf8.count))
        var rows: [Row] = []
        var redacted: [String] = []
        var data: [String: JSONValue] = ["file": .string(display)]
        do {
            switch kind {
            case .jsonPatch:
                data["patch_type"] = "json6902"
                for d in docs {
                    guard let root = d.root else { continue }
                    rows += try jsonPatch(root, scope: "file", index: 0, flattener: flattener, firstLine: d.firstLine)
                    redacted.append(redact(d, flattener))
                }
            case .talconfig:
                data["patch_type"] = "talconfig"
                for d in docs {
                    guard let root = d.root else { continue }
                    let tree = try flattener.flatten(root, document: "talconfig", kind: nil, firstLine: d.firstLine)
                    redacted.append(redact(d, flattener))
                    for k in ["clusterName", "talosVersion", "kubernetesVersion", "endpoint"] { if let v = tree[k] { data[k] = v } }
                    data["nodes"] = .array((tree["nodes"]?.arrayValue ?? []).map { n in
                        .object(["hostname": n["hostname"] ?? .null, "ipAddress": n["ipAddress"] ?? .null,
                                 "controlPlane": n["controlPlane"] ?? .null, "installDisk": n["installDisk"] ?? .null])
                    })
                    rows += try talconfig(root, flattener: flattener, display: display)
                }
            default:
                data["patch_type"] = "strategic"
                for d in docs {
                    guard let root = d.root else { continue }
                    rows += try strategic(root, scope: "file", index: 0, flattener: flattener, firstLine: d.firstLine)
                    redacted.append(redact(d, flattener))
                }
            }
        } catch let e as TalosInputError {
            try recorder.sink.addError(subject: display, origin: origin, message: e.errorDescription ?? "\(e)")
            return
        }
        // Secrets found inside nested patch strings are removed from the stored text by value.
        let text = TalosRedact.redact(redacted.joined(separator: "---\n"), spans: [], secrets: flattener.secretValues,
                                      redactor: recorder.request.redactor)
        let blob = try recorder.sink.storeBlob(Data(text.utf8))
        data["op_count"] = .int(Int64(rows.count))
        data["documents"] = .array(Array(Set(rows.map(\.document))).sorted().map { .string($0) })
        data["secret_count"] = .int(Int64(flattener.secretCount))
        let id = try recorder.sink.add(EvidenceItem(kind: "talos.patch", subject: display, origin: origin, data: .object(data),
                                                    blobSHA256: blob))
        for r in rows {
            try recorder.insertPatch(evidenceID: id, file: display, scope: r.scope, index: r.index, type: r.type, op: r.op,
                                     document: r.document, path: r.path, value: r.value, secret: r.secret, encrypted: r.encrypted)
        }
        recorder.notePatchFile()
    }

    private func redact(_ d: YAMLDocument, _ f: TalosFlattener) -> String {
        TalosRedact.redact(d.text, spans: f.takeSpans(), secrets: f.secretValues, redactor: recorder.request.redactor)
    }

    /// RFC 6902 operations: op, JSON pointer, value (redacted, as canonical JSON).
    private func jsonPatch(_ root: Node, scope: String, index: Int, flattener: TalosFlattener, firstLine: Int) throws -> [Row] {
        var rows: [Row] = []
        let ops: [Node] = root.sequence.map(Array.init) ?? [root]
        for op in ops {
            guard let m = op.mapping else { continue }
            let path = m["path"]?.string ?? ""
            let pointer = path.split(separator: "/").map { $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }
            var value: String?
            var secret = false, encrypted = false
            if let v = m["value"] {
                let (s0, e0) = (flattener.secretCount, flattener.encryptedCount)
                let tree = try flattener.flatten(v, document: "json6902", kind: nil, firstLine: firstLine, contextKeys: pointer)
                value = tree.canonicalText
                secret = flattener.secretCount > s0
                encrypted = flattener.encryptedCount > e0
            } else if let from = m["from"]?.string {
                value = JSONValue.string(from).canonicalText
            }
            rows.append(Row(scope: scope, index: index, type: "json6902", op: m["op"]?.string ?? "?", document: "v1alpha1",
                            path: path, value: value, secret: secret, encrypted: encrypted))
        }
        return rows
    }

    /// Strategic-merge documents: every setting as `merge`, every `$patch: delete` as `delete` of its parent.
    private func strategic(_ root: Node, scope: String, index: Int, flattener: TalosFlattener, firstLine: Int) throws -> [Row] {
        let (name, kind) = TalosRecorder.documentName(root, index: index)
        let before = flattener.settings.count
        _ = try flattener.flatten(root, document: name, kind: kind, firstLine: firstLine)
        var rows: [Row] = []
        for s in flattener.settings[before...] {
            if s.path == "$patch" || s.path.hasSuffix(".$patch") {
                let parent = s.path == "$patch" ? "" : String(s.path.dropLast(".$patch".count))
                rows.append(Row(scope: scope, index: index, type: "strategic", op: s.value == .string("delete") ? "delete" : "patch",
                                document: name, path: parent, value: nil, secret: false, encrypted: false))
            } else {
                rows.append(Row(scope: scope, index: index, type: "strategic", op: "merge", document: name, path: s.path,
                                value: s.value.canonicalText, secret: s.secret, encrypted: s.encrypted))
            }
        }
        return rows
    }

    /// talhelper: `patches` at the top (all nodes), under `controlPlane` / `worker`, and per node.
    private func talconfig(_ root: Node, flattener: TalosFlattener, display: String) throws -> [Row] {
        guard let m = root.mapping else { return [] }
        var scoped: [(String, Node)] = []
        if let p = m["patches"] { scoped.append(("all", p)) }
        for group in ["controlPlane", "worker"] { if let p = m[group]?.mapping?["patches"] { scoped.append((group, p)) } }
        for n in m["nodes"]?.sequence ?? [] {
            if let p = n.mapping?["patches"] { scoped.append(("node:" + (n.mapping?["hostname"]?.string ?? "?"), p)) }
        }
        var rows: [Row] = []
        var index = 0
        for (scope, list) in scoped {
            for entry in list.sequence ?? [] {
                defer { index += 1 }
                if let s = entry.scalar?.string {
                    if s.hasPrefix("@") {
                        rows.append(Row(scope: scope, index: index, type: "file", op: "include", document: "", path: String(s.dropFirst()),
                                        value: nil, secret: false, encrypted: false))
                        continue
                    }
                    for result in TalosYAML.documents(s, display: "\(display) patch \(index)") {
                        let doc = try result.get()
                        guard let r = doc.root else { continue }
                        if case .sequence = r {
                            rows += try jsonPatch(r, scope: scope, index: index, flattener: flattener, firstLine: 1)
                        } else {
                            rows += try strategic(r, scope: scope, index: index, flattener: flattener, firstLine: 1)
                        }
                        _ = flattener.takeSpans()
                    }
                } else if entry.mapping?["op"] != nil {
                    rows += try jsonPatch(entry, scope: scope, index: index, flattener: flattener, firstLine: 1)
                } else {
                    rows += try strategic(entry, scope: scope, index: index, flattener: flattener, firstLine: 1)
                }
            }
        }
        // Spans of nested patch strings point into those strings, not into the file: the stored
        // text is cleaned of their secrets by value instead.
        _ = flattener.takeSpans()
        return rows
    }
}
