import Foundation

/// One module file read for a host: its bytes, its syntax tree and what was extracted.
struct NixModuleFile {
    var url: URL
    var relative: String
    var bytes: [UInt8]
    var ast: NixExpr?
    var extraction: NixOptionExtractor?
    /// Imports that point to files that do not exist: (what was written, line, column).
    var missingImports: [(String, Int, Int)] = []
    var error: String?
}

/// Reads a host's modules: the entry file, then every relative import, recursively and
/// cycle-safe (each file once per host, whatever path led to it).
struct NixHostReader {
    /// Module files larger than this are refused (a configuration is kilobytes; this bounds memory).
    static let maxFileSize = 64 << 20

    let root: URL
    private(set) var files: [NixModuleFile] = []
    private var visited: Set<String> = []
    private var queue: [URL] = []

    init(root: URL) { self.root = root.standardizedFileURL }

    /// Reads the entry file and everything it imports.
    mutating func read(entry: URL) {
        enqueue(entry)
        drain()
    }

    /// Adds a file that was already parsed and extracted (e.g. a flake's inline modules), then follows its imports.
    mutating func add(url: URL, bytes: [UInt8], ast: NixExpr, extraction: NixOptionExtractor) {
        visited.insert(Self.key(url))
        var f = NixModuleFile(url: url, relative: relativeName(url), bytes: bytes, ast: ast, extraction: extraction)
        follow(&f)
        files.append(f)
        drain()
    }

    private mutating func enqueue(_ url: URL) {
        guard visited.insert(Self.key(url)).inserted else { return }
        queue.append(url)
    }

    private mutating func drain() {
        while !queue.isEmpty {
            let url = queue.removeFirst()
            var f = load(url)
            follow(&f)
            files.append(f)
        }
    }

    private mutating func follow(_ f: inout NixModuleFile) {
        guard let ex = f.extraction else { return }
        let dir = f.url.deletingLastPathComponent()
        for imp in ex.imports {
            guard let rel = imp.relativePath else { continue }
            var target = dir.appendingPathComponent(rel).standardizedFileURL
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: target.path, isDirectory: &isDir) else {
                f.missingImports.append((rel, imp.line, imp.column))
                continue
            }
            if isDir.boolValue {
                target = target.appendingPathComponent("default.nix")
                guard FileManager.default.fileExists(atPath: target.path) else {
                    f.missingImports.append((rel + " (a folder without default.nix)", imp.line, imp.column))
                    continue
                }
            }
            enqueue(target)
        }
    }

    func load(_ url: URL) -> NixModuleFile {
        let rel = relativeName(url)
        var f = NixModuleFile(url: url, relative: rel, bytes: [])
        let attrs = try? FileManager.default.attributesOfItem(atPath: url.path)
        if let size = attrs?[.size] as? Int, size > Self.maxFileSize {
            f.error = "\(rel) is \(size >> 20) MiB, larger than the \(Self.maxFileSize >> 20) MiB Vouch reads for a Nix module; check it is really a configuration file"
            return f
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            f.error = "cannot read \(rel); check it exists and is readable by the user running vouch"
            return f
        }
        f.bytes = [UInt8](data)
        do {
            let ast = try NixParser.parseOnLargeStack(f.bytes, file: rel)
            var ex = NixOptionExtractor(bytes: f.bytes)
            ex.module(ast, nil)
            f.ast = ast
            f.extraction = ex
        } catch {
            f.error = "\(error.description); fix the syntax (nix-instantiate --parse \(rel) shows it too)"
        }
        return f
    }

    /// A stable identity for a file, whatever relative path reached it.
    static func key(_ url: URL) -> String { url.standardizedFileURL.resolvingSymlinksInPath().path }

    /// The file's path relative to the target's folder (with `../` when it lies outside).
    func relativeName(_ url: URL) -> String {
        let a = root.pathComponents
        let b = url.standardizedFileURL.pathComponents
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        let ups = Array(repeating: "..", count: a.count - i)
        let rest = Array(b[i...])
        let parts = ups + rest
        return parts.isEmpty ? url.lastPathComponent : parts.joined(separator: "/")
    }
}
