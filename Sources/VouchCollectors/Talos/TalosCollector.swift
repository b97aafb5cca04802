import Foundation
import GRDB
import VouchCore

/// The `talos` source: Talos machine configs as declared (files, talosctl output, patches) and,
/// when the profile names nodes and `talosctl` is installed, as the nodes report them.
///
/// Each node config becomes one `talos.machineconfig` item (its redacted YAML as the blob), every
/// setting a `talos_setting` row, its normalized security posture a `talos_node` row; patches become
/// `talos.patch` items and `talos_patch` rows. A file that cannot be read becomes an error item
/// naming the file and line; the others still land.
public struct TalosCollector: Collector {
    public let source = "talos"
    public let targetSyntax = "FILE_OR_DIR"
    public let summary = "Talos machine configs (v1alpha1 and multi-document), talosctl output, patches; live nodes via talosctl"

    /// Files above this size are refused unread (`max_file_bytes` in the profile changes it).
    static let defaultMaxFileBytes: Int64 = 16 << 20
    /// The most values one file may expand to through YAML aliases (`max_values`).
    static let defaultMaxValues = 1_000_000
    /// File name endings read when the target is a folder (a named file is always read).
    static let extensions: Set<String> = ["yaml", "yml", "json", "patch", "talosconfig"]

    public init() {}

    /// SQLite's page cache while collecting (KiB).
    static let pageCacheKiB = 32 << 10

    /// Threads reading and parsing files in a folder: one per core (the writer mostly waits on them).
    static var readers: Int { max(1, min(4, ProcessInfo.processInfo.activeProcessorCount)) }

    public func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        // Every setting row also goes into the (capture_id, path) index in path order, i.e. all over
        // it: with SQLite's default 2 MB page cache most of those inserts re-read (and re-write) an
        // index page. 1,000 nodes: ~15% less CPU with 32 MiB, peak RSS 50 -> 71 MB.
        try sink.withPageCache(kibibytes: Self.pageCacheKiB) { try collectFiles(request, into: sink) }
    }

    private func collectFiles(_ request: CollectRequest, into sink: CaptureSink) throws {
        let recorder = try TalosRecorder(sink: sink, request: request,
                                         maxFileBytes: request.intOption("max_file_bytes") ?? Self.defaultMaxFileBytes,
                                         maxValues: Int(request.intOption("max_values") ?? Int64(Self.defaultMaxValues)))
        let nodes = request.stringList("nodes")
        let url = request.targetURL
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir)
        if !exists {
            // `target: live` (or any absent path) with nodes named: only the live nodes are read.
            guard !nodes.isEmpty, request.target == "live" else {
                throw CollectError.sourceFailed(source: source, target: request.target,
                                                reason: "no such file or folder; give a Talos config file or a folder of them "
                                                    + "(or `target: live` with `nodes:` to read live nodes only)")
            }
        } else if isDir.boolValue {
            let files = try Self.configFiles(in: url)
            // Files are read, parsed and redacted on other threads while this one writes them, in order.
            let maxFileBytes = recorder.maxFileBytes, maxValues = recorder.maxValues, source = sink.source
            // At most 32 files or 32 MiB of text read ahead (a folder of 16 MiB configs stays bounded).
            let reads = OrderedPrefetch(count: files.count, workers: Self.readers, window: 32, budget: 32 << 20,
                                        weight: TalosRecorder.FileRead.textBytes) { i in
                TalosRecorder.readFile(files[i].url, display: files[i].relative, source: source, maxFileBytes: maxFileBytes,
                                       maxValues: maxValues)
            }
            defer { reads.finish() }
            for (i, file) in files.enumerated() {
                try recorder.recordRead(reads.take(i), url: file.url, display: file.relative, named: false)
                if (i + 1) % 200 == 0 { request.progress("talos: \(i + 1)/\(files.count) files") }
            }
            try recorder.recordScanSummary(root: request.target, fileCount: files.count)
        } else {
            try recorder.recordFile(url, display: url.lastPathComponent, named: true)
        }
        if !nodes.isEmpty {
            try TalosctlLive(request: request, recorder: recorder).collect(nodes: nodes)
        }
    }

    /// The candidate files under a folder, sorted; hidden folders (`.git`) and links are skipped.
    public static func configFiles(in root: URL) throws -> [(url: URL, relative: String)] {
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey],
                                                     options: [.skipsHiddenFiles]) else {
            throw CollectError.sourceFailed(source: "talos", target: root.path, reason: "the folder cannot be listed; check its permissions")
        }
        var out: [(URL, String)] = []
        let rootPath = root.standardizedFileURL.path
        for case let url as URL in e {
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            guard values?.isRegularFile == true, values?.isSymbolicLink != true else { continue }
            guard extensions.contains(url.pathExtension.lowercased()) else { continue }
            var rel = url.standardizedFileURL.path
            if rel.hasPrefix(rootPath + "/") { rel = String(rel.dropFirst(rootPath.count + 1)) }
            out.append((url, rel))
        }
        return out.sorted { $0.1 < $1.1 }
    }
}
