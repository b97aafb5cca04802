import Foundation
import VouchCore

/// The manifest files under a FILE_OR_DIR target: a file is read whatever its name; a folder is
/// walked (links never followed) for the given extensions, in a stable order.
enum ManifestFiles {
    struct File {
        var path: String      // absolute
        var relative: String  // from the target, for subjects and messages
    }

    static let maxSize = 64 << 20

    static func list(_ request: CollectRequest, extensions: Set<String>) throws -> [File] {
        let root = request.targetURL.path
        var st = stat()
        guard lstat(root, &st) == 0 else {
            throw CollectError.sourceFailed(source: request.source, target: request.target,
                                            reason: "\(errnoText()); check the path exists and is readable")
        }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            return [File(path: root, relative: (root as NSString).lastPathComponent)]
        }
        var out: [File] = []
        var failures: [String] = []
        let walker = FileWalker(
            excludes: request.stringList("exclude"),
            visit: { entry in
                guard (entry.st.st_mode & S_IFMT) == S_IFREG else { return }
                let rel = SafeText.from(bytes: entry.relative)
                let ext = (rel as NSString).pathExtension.lowercased()
                if extensions.contains(ext) { out.append(File(path: SafeText.from(bytes: entry.path), relative: rel)) }
            },
            failed: { _, rel, reason in failures.append("\(SafeText.from(bytes: rel)): \(reason)") })
        try walker.walk(root: Array(root.utf8))
        if out.isEmpty, !failures.isEmpty {
            throw CollectError.sourceFailed(source: request.source, target: request.target, reason: failures.joined(separator: "; "))
        }
        return out
    }

    /// Reads a file as UTF-8 text, or explains why not.
    static func read(_ file: File) -> Result<String, ManifestProblem> {
        guard let fh = FileHandle(forReadingAtPath: file.path) else {
            return .failure(ManifestProblem(file: file.relative, line: 0,
                                            message: "cannot open: \(errnoText()); grant read access or exclude the file"))
        }
        defer { try? fh.close() }
        let data = (try? fh.read(upToCount: maxSize + 1)) ?? Data()
        if data.count > maxSize {
            return .failure(ManifestProblem(file: file.relative, line: 0,
                                            message: "larger than \(maxSize >> 20) MiB; split it or exclude it"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(ManifestProblem(file: file.relative, line: 0, message: "not UTF-8 text; convert it or exclude it"))
        }
        return .success(text)
    }
}
