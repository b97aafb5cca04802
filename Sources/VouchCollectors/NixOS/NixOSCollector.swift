import Foundation
import VouchCore

/// The `nixos` source: option assignments of NixOS hosts (from their module files, following
/// imports), flake inputs (flake.lock) and system generations.
///
/// TARGET is a host's entry file (`configuration.nix`), a flake folder (its `flake.nix`
/// `nixosConfigurations` and `flake.lock`), a `flake.lock`, a profiles folder
/// (`/nix/var/nix/profiles`: `system-N-link`), or `nixos-rebuild list-generations --json` output.
/// Options: `host` (the host name when the files do not say), `generations` (a profiles folder
/// or list-generations JSON to read as well).
public struct NixOSCollector: Collector {
    public let source = "nixos"
    public let targetSyntax = "FILE_OR_FLAKE_DIR"
    public let summary = "NixOS hosts: option assignments (imports followed, mkIf/mkDefault/mkForce), flake.lock inputs, system generations"

    public init() {}

    public func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        let url = request.targetURL.standardizedFileURL
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw CollectError.sourceFailed(source: source, target: request.target,
                                            reason: "\(url.path) does not exist; give a host's configuration.nix, a flake folder, a flake.lock or a profiles folder")
        }
        if isDir.boolValue {
            try collectDirectory(url, request, sink)
        } else {
            try collectFile(url, request, sink)
        }
        for extra in request.stringList("generations") {
            let g = extra.hasPrefix("/") ? URL(fileURLWithPath: extra) : request.baseDirectory.appendingPathComponent(extra)
            try NixGenerations.collect(g, request: request, sink: sink)
        }
    }

    func collectFile(_ url: URL, _ request: CollectRequest, _ sink: CaptureSink) throws {
        let name = url.lastPathComponent
        if name == "flake.lock" {
            try NixFlakeLock.collect(url, request: request, sink: sink)
        } else if name == "flake.nix" {
            try collectFlake(url.deletingLastPathComponent(), request, sink)
        } else if name.hasSuffix(".json") {
            try NixGenerations.collect(url, request: request, sink: sink)
        } else {
            var reader = NixHostReader(root: url.deletingLastPathComponent())
            reader.read(entry: url)
            try NixHostWriter.write(reader, host: request.option("host"), entry: url, request: request, sink: sink)
        }
    }

    func collectDirectory(_ url: URL, _ request: CollectRequest, _ sink: CaptureSink) throws {
        let fm = FileManager.default
        let has = { (n: String) in fm.fileExists(atPath: url.appendingPathComponent(n).path) }
        if has("flake.nix") || has("flake.lock") {
            try collectFlake(url, request, sink)
        } else if NixGenerations.isProfilesFolder(url) {
            try NixGenerations.collect(url, request: request, sink: sink)
        } else if has("configuration.nix") || has("default.nix") {
            try collectFile(url.appendingPathComponent(has("configuration.nix") ? "configuration.nix" : "default.nix"), request, sink)
        } else {
            throw CollectError.sourceFailed(source: source, target: request.target,
                                            reason: "\(url.path) holds no flake.nix, flake.lock, configuration.nix, default.nix or system-N-link; point the source at a host's entry file")
        }
    }

    /// A flake folder: its lock, and each `nixosConfigurations.<host>` whose modules are listed literally.
    func collectFlake(_ dir: URL, _ request: CollectRequest, _ sink: CaptureSink) throws {
        let lock = dir.appendingPathComponent("flake.lock")
        if FileManager.default.fileExists(atPath: lock.path) {
            try NixFlakeLock.collect(lock, request: request, sink: sink)
        }
        let flake = dir.appendingPathComponent("flake.nix")
        guard FileManager.default.fileExists(atPath: flake.path) else { return }
        let probe = NixHostReader(root: dir)
        let loaded = probe.load(flake)
        guard let ast = loaded.ast else {
            try sink.addError(subject: "flake.nix", origin: flake.path, message: loaded.error ?? "cannot read flake.nix")
            return
        }
        let hosts = NixFlake.nixosConfigurations(ast)
        if hosts.isEmpty {
            try sink.addError(subject: "flake.nix", origin: flake.path, message: """
                flake.nix has no nixosConfigurations whose modules Vouch can follow (they may be built by a function); \
                point --source nixos=FILE at each host's entry module instead
                """)
            return
        }
        for h in hosts {
            var ex = NixOptionExtractor(bytes: loaded.bytes)
            ex.importList(h.modules, nil)
            var reader = NixHostReader(root: dir)
            reader.add(url: flake, bytes: loaded.bytes, ast: ast, extraction: ex)
            try NixHostWriter.write(reader, host: request.option("host") ?? h.name, entry: flake, request: request, sink: sink)
        }
    }
}

/// Finds `nixosConfigurations.<name> = … { modules = [ … ]; }` in a flake.nix.
enum NixFlake {
    struct Host { var name: String; var modules: NixExpr }

    static func nixosConfigurations(_ root: NixExpr) -> [Host] {
        var out: [Host] = []
        var stack = [root]
        while let e = stack.popLast() {
            if case .attrSet(_, let binds) = e.kind {
                for b in binds {
                    guard case .assign(let path, let value) = b.kind else { continue }
                    let names = path.map { $0.staticName }
                    guard let i = names.firstIndex(of: "nixosConfigurations") else { continue }
                    if i + 1 < names.count, let host = names[i + 1] {
                        if let m = modulesList(value) { out.append(Host(name: host, modules: m)) }
                    } else if i + 1 == names.count, case .attrSet(_, let hostBinds) = value.kind {
                        for hb in hostBinds {
                            guard case .assign(let hp, let hv) = hb.kind, hp.count == 1, let host = hp[0].staticName,
                                  let m = modulesList(hv) else { continue }
                            out.append(Host(name: host, modules: m))
                        }
                    }
                }
            }
            stack.append(contentsOf: e.children.reversed())
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0.name).inserted }
    }

    /// The `modules = …;` binding inside a host's definition (searched through applications and sets).
    static func modulesList(_ e: NixExpr) -> NixExpr? {
        var stack = [e]
        var budget = 10_000
        while let x = stack.popLast(), budget > 0 {
            budget -= 1
            if case .attrSet(_, let binds) = x.kind {
                for b in binds {
                    if case .assign(let p, let v) = b.kind, p.count == 1, p[0].staticName == "modules" { return v }
                }
            }
            stack.append(contentsOf: x.children.reversed())
        }
        return nil
    }
}
