import Foundation
import VouchCore

/// Reads a `flake.lock` (versions 5–7): one `nix_input` row per locked node.
enum NixFlakeLock {
    static let maxSize = 32 << 20

    /// The lock's path as the target names it (relative to the profile's folder when inside it).
    static func lockName(_ url: URL, _ request: CollectRequest) -> String {
        let base = request.baseDirectory.standardizedFileURL.path + "/"
        return url.path.hasPrefix(base) ? String(url.path.dropFirst(base.count)) : url.path
    }

    static func collect(_ url: URL, request: CollectRequest, sink: CaptureSink) throws {
        let name = "flake.lock"
        let attrs = try? FileManager.default.attributesOfItem(atPath: url.path)
        if let size = attrs?[.size] as? Int, size > maxSize {
            try sink.addError(subject: name, origin: url.path, message: "\(url.path) is larger than \(maxSize >> 20) MiB; it is not a flake.lock Vouch reads")
            return
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            try sink.addError(subject: name, origin: url.path, message: "cannot read \(url.path); check it is readable")
            return
        }
        let doc: JSONValue
        do { doc = try JSONValue.parse(data) } catch {
            try sink.addError(subject: name, origin: url.path, message: "\(url.path) is not valid JSON: \(error.localizedDescription)")
            return
        }
        guard let nodes = doc["nodes"]?.objectValue, let rootName = doc["root"]?.stringValue, let root = nodes[rootName] else {
            try sink.addError(subject: name, origin: url.path, message: "\(url.path) has no nodes/root: it is not a flake.lock")
            return
        }
        let version = doc["version"]?.intValue ?? 0
        guard (5...7).contains(version) else {
            try sink.addError(subject: name, origin: url.path, message: "\(url.path) is lock version \(version); Vouch reads versions 5 to 7")
            return
        }
        let blob = try sink.storeBlob(Data(request.redactor.scrub(String(decoding: data, as: UTF8.self)).utf8))
        let direct = Set((root["inputs"]?.objectValue ?? [:]).values.compactMap(\.stringValue))
        let itemID = try sink.add(EvidenceItem(kind: "nixos.flake_lock", subject: url.deletingLastPathComponent().lastPathComponent + "/flake.lock",
                                              origin: url.path, data: .object([
                                                "version": .int(version), "nodes": .int(Int64(nodes.count - 1)),
                                                "root_inputs": root["inputs"] ?? .object([:]),
                                              ]), blobSHA256: blob))
        for key in nodes.keys.sorted() where key != rootName {
            let node = nodes[key]!
            let locked = node["locked"] ?? .object([:])
            let original = node["original"] ?? .object([:])
            let inputURL = locked["url"]?.stringValue ?? locked["path"]?.stringValue
            try sink.insertFact("nix_input", [
                "evidence_id": itemID, "name": key, "type": locked["type"]?.stringValue,
                "owner": locked["owner"]?.stringValue, "repo": locked["repo"]?.stringValue, "url": inputURL.map(request.redactor.scrub),
                "rev": locked["rev"]?.stringValue, "nar_hash": locked["narHash"]?.stringValue,
                "last_modified": locked["lastModified"]?.intValue, "ref": original["ref"]?.stringValue ?? locked["ref"]?.stringValue,
                "lock_file": request.redactor.scrub(lockName(url, request)), "direct": direct.contains(key) ? 1 : 0,
                "is_flake": node["flake"]?.boolValue == false ? 0 : 1,
                "inputs": (node["inputs"] ?? .object([:])).canonicalText,
            ])
        }
    }
}
