import Foundation
import VouchCore

/// `--source bpf=DIR`: imports what bpftool and cilium-dbg printed on a node.
///
/// Files are recognized by content, not by name: `bpftool prog|map|link show -j`,
/// `bpftool map dump -j` (raw bytes, BTF `formatted`, per-CPU), plain-text dumps,
/// `cilium-dbg bpf policy get [--all] -o json`, `endpoint list -o json`, `identity list -o json`.
/// A dump's map comes from its file name (`map-dump-11.json`, `map-dump-name-X.json`) or
/// a leading `# bpftool map dump id|pinned|name …` comment. Files directly in DIR belong
/// to the host named by the `host` option (default: DIR's name); each subfolder is one host.
struct ImportCollection {
    let request: CollectRequest
    let sink: CaptureSink

    func run() throws {
        let root = request.targetURL
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw CollectError.sourceFailed(source: "bpf", target: request.target,
                                            reason: "\(root.path) is not a folder: give `live`, or a folder of bpftool -j / cilium-dbg -o json files")
        }
        var groups: [String: [(rel: String, url: URL)]] = [:]
        let defaultHost = request.option("host") ?? root.lastPathComponent
        let fm = FileManager.default
        guard let walker = fm.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else {
            throw CollectError.sourceFailed(source: "bpf", target: request.target, reason: "cannot list \(root.path)")
        }
        let rootPath = root.standardizedFileURL.path
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            let name = url.lastPathComponent
            guard name.hasSuffix(".json") || name.hasSuffix(".txt") else { continue }
            var rel = url.standardizedFileURL.path
            if rel.hasPrefix(rootPath + "/") { rel.removeFirst(rootPath.count + 1) }
            let parts = rel.split(separator: "/")
            let host = parts.count > 1 ? String(parts[0]) : defaultHost
            groups[host, default: []].append((rel, url))
        }
        if groups.isEmpty {
            try sink.addError(subject: request.target, origin: root.path,
                              message: "no .json or .txt files in \(root.path): save `bpftool prog show -j`, `bpftool map show -j`, `bpftool map dump id N -j > map-dump-N.json` and cilium-dbg outputs there")
        }
        for host in groups.keys.sorted() {
            var h = HostImport(request: request, sink: sink, host: host)
            for f in groups[host]!.sorted(by: { $0.rel < $1.rel }) { try h.read(rel: f.rel, url: f.url) }
            try h.write()
        }
    }
}
