import Foundation
import VouchCore

/// One entry found under a root, with its raw path bytes.
struct WalkEntry {
    var path: [UInt8]       // absolute
    var relative: [UInt8]   // from the root
    var st: stat
}

/// A depth-first walk over raw byte paths that never follows a symbolic link.
struct FileWalker {
    var excludes: [String] = []
    var maxDepth = 256
    /// Called for each entry (files, links, special files, and directories themselves).
    var visit: (WalkEntry) throws -> Void
    /// Called when a directory cannot be read.
    var failed: ([UInt8], [UInt8], String) throws -> Void

    func walk(root: [UInt8]) throws {
        var st = stat()
        guard lstat(cPath(root), &st) == 0 else {
            throw CollectError.sourceFailed(source: "files", target: SafeText.from(bytes: root),
                                            reason: "\(errnoText()); check the path exists and is readable")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            var seen = Set<[UInt64]>()
            try walkDir(root, relative: [], depth: 0, seen: &seen)
        } else {
            let name = root.split(separator: UInt8(ascii: "/")).last.map(Array.init) ?? root
            try visit(WalkEntry(path: root, relative: name, st: st))
        }
    }

    private func walkDir(_ dir: [UInt8], relative: [UInt8], depth: Int, seen: inout Set<[UInt64]>) throws {
        var dst = stat()
        guard lstat(cPath(dir), &dst) == 0 else { try failed(dir, relative, errnoText()); return }
        let key = [UInt64(dst.st_dev), UInt64(dst.st_ino)]
        if seen.contains(key) { return }
        seen.insert(key)
        guard depth < maxDepth else { try failed(dir, relative, "deeper than \(maxDepth) levels; not walked further"); return }
        guard let d = opendir(cPath(dir)) else { try failed(dir, relative, errnoText()); return }
        var names: [[UInt8]] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw -> [UInt8] in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name == [46] || name == [46, 46] { continue }
            names.append(name)
        }
        closedir(d)
        names.sort { $0.lexicographicallyPrecedes($1) }
        for name in names {
            let path = dir + [47] + name
            let rel = relative.isEmpty ? name : relative + [47] + name
            if isExcluded(rel) { continue }
            var st = stat()
            guard lstat(cPath(path), &st) == 0 else { try failed(path, rel, errnoText()); continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                try walkDir(path, relative: rel, depth: depth + 1, seen: &seen)
            } else {
                try visit(WalkEntry(path: path, relative: rel, st: st))
            }
        }
    }

    private func isExcluded(_ rel: [UInt8]) -> Bool {
        guard !excludes.isEmpty else { return false }
        let text = String(decoding: rel, as: UTF8.self)
        let base = text.split(separator: "/").last.map(String.init) ?? text
        return excludes.contains { fnmatch($0, text, 0) == 0 || fnmatch($0, base, 0) == 0 }
    }
}

func cPath(_ bytes: [UInt8]) -> [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }

func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
