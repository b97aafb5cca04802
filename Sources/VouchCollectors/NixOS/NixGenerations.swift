import Foundation
import VouchCore

/// System generations: from a profiles folder (`system-N-link` → `/nix/store/…-nixos-system-<host>-<version>`,
/// `system` → the current one) or from `nixos-rebuild list-generations --json` output.
enum NixGenerations {
    struct Generation {
        var host: String
        var number: Int64
        var createdAt: String?
        var current: Bool
        var nixosVersion: String?
        var kernelVersion: String?
        var configurationRevision: String?
        var storePath: String?
        var specialisations: [String]
    }

    static func isProfilesFolder(_ url: URL) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.contains { linkNumber($0) != nil }
    }

    /// `system-42-link` → 42.
    static func linkNumber(_ name: String) -> Int64? {
        guard name.hasPrefix("system-"), name.hasSuffix("-link") else { return nil }
        return Int64(name.dropFirst(7).dropLast(5))
    }

    static func collect(_ url: URL, request: CollectRequest, sink: CaptureSink) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            try sink.addError(subject: "generations", origin: url.path,
                              message: "\(url.path) does not exist; give a profiles folder (/nix/var/nix/profiles) or list-generations JSON")
            return
        }
        let gens: [Generation]
        if isDir.boolValue {
            gens = fromProfiles(url, request: request)
        } else {
            guard let data = FileManager.default.contents(atPath: url.path), data.count < 64 << 20 else {
                try sink.addError(subject: "generations", origin: url.path, message: "cannot read \(url.path) (or it is over 64 MiB)")
                return
            }
            do { gens = try fromJSON(data, host: request.option("host") ?? request.host) } catch {
                try sink.addError(subject: "generations", origin: url.path,
                                  message: "\(url.path): \(error.localizedDescription); expected `nixos-rebuild list-generations --json` output")
                return
            }
        }
        for g in gens {
            let id = try sink.add(EvidenceItem(kind: "nixos.generation", subject: "\(g.host)/\(g.number)", origin: url.path, data: .object([
                "host": .string(g.host), "generation": .int(g.number), "current": .bool(g.current),
                "created_at": g.createdAt.map(JSONValue.string) ?? .null, "nixos_version": g.nixosVersion.map(JSONValue.string) ?? .null,
                "kernel_version": g.kernelVersion.map(JSONValue.string) ?? .null,
                "configuration_revision": g.configurationRevision.map(JSONValue.string) ?? .null,
                "store_path": g.storePath.map(JSONValue.string) ?? .null,
                "specialisations": .array(g.specialisations.map(JSONValue.string)),
            ])))
            try sink.insertFact("nixos_generation", [
                "evidence_id": id, "host": g.host, "generation": g.number, "created_at": g.createdAt, "current": g.current ? 1 : 0,
                "nixos_version": g.nixosVersion, "kernel_version": g.kernelVersion, "configuration_revision": g.configurationRevision,
                "store_path": g.storePath, "specialisations": JSONValue.array(g.specialisations.map(JSONValue.string)).canonicalText,
            ])
        }
    }

    /// `"Unknown"` (nixos-rebuild's fallback) and empty strings mean not known.
    static func known(_ v: JSONValue?) -> String? {
        guard let s = v?.stringValue, !s.isEmpty, s != "Unknown" else { return nil }
        return s
    }

    static func fromJSON(_ data: Data, host: String) throws -> [Generation] {
        guard case .array(let items) = try JSONValue.parse(data) else { throw GenerationError.notAList }
        return try items.enumerated().map { i, item in
            guard let n = item["generation"]?.intValue else { throw GenerationError.noNumber(i) }
            return Generation(host: host, number: n, createdAt: known(item["date"]), current: item["current"]?.boolValue ?? false,
                              nixosVersion: known(item["nixosVersion"]), kernelVersion: known(item["kernelVersion"]),
                              configurationRevision: known(item["configurationRevision"]), storePath: nil,
                              specialisations: item["specialisations"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }.sorted { $0.number < $1.number }
    }

    enum GenerationError: Error, LocalizedError {
        case notAList
        case noNumber(Int)
        var errorDescription: String? {
            switch self {
            case .notAList: return "the top level is not a JSON array"
            case .noNumber(let i): return "entry \(i) has no integer \"generation\""
            }
        }
    }

    static func fromProfiles(_ dir: URL, request: CollectRequest) -> [Generation] {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
        let currentLink = try? fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("system").path)
        var out: [Generation] = []
        for name in names {
            guard let n = linkNumber(name) else { continue }
            let link = dir.appendingPathComponent(name).path
            var st = stat()
            guard lstat(link, &st) == 0 else { continue }
            let created = Timestamp.string(Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec)))
            let target = try? fm.destinationOfSymbolicLink(atPath: link)
            let parsed = target.flatMap { parseStoreName(URL(fileURLWithPath: $0).lastPathComponent) }
            var g = Generation(host: request.option("host") ?? parsed?.host ?? request.host, number: n, createdAt: created,
                               current: currentLink == name || currentLink.map { URL(fileURLWithPath: $0).lastPathComponent } == name,
                               nixosVersion: parsed?.version, kernelVersion: nil, configurationRevision: nil, storePath: target,
                               specialisations: [])
            if let target {
                let closure = URL(fileURLWithPath: target.hasPrefix("/") ? target : dir.appendingPathComponent(target).path)
                if let v = try? String(contentsOf: closure.appendingPathComponent("nixos-version"), encoding: .utf8) {
                    g.nixosVersion = v.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                let modules = closure.appendingPathComponent("kernel-modules/lib/modules").path
                g.kernelVersion = (try? fm.contentsOfDirectory(atPath: modules))?.sorted().first
                g.specialisations = ((try? fm.contentsOfDirectory(atPath: closure.appendingPathComponent("specialisation").path)) ?? []).sorted()
                if let rev = try? String(contentsOf: closure.appendingPathComponent("configuration-revision"), encoding: .utf8) {
                    g.configurationRevision = rev.trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            out.append(g)
        }
        return out
    }

    /// `<hash>-nixos-system-<host>-<version>` → (host, version).
    static func parseStoreName(_ name: String) -> (host: String, version: String)? {
        guard let dash = name.firstIndex(of: "-") else { return nil }
        let rest = name[name.index(after: dash)...]
        guard rest.hasPrefix("nixos-system-") else { return nil }
        let hv = rest.dropFirst("nixos-system-".count)
        // The version starts at the last '-' followed by "<digits>.<digits>".
        var idx = hv.endIndex
        while let d = hv[..<idx].lastIndex(of: "-") {
            let tail = hv[hv.index(after: d)...]
            let parts = tail.split(separator: ".", maxSplits: 2)
            if parts.count >= 2, parts[0].allSatisfy(\.isNumber), parts[1].first?.isNumber == true {
                return (String(hv[..<d]), String(tail))
            }
            idx = d
        }
        return nil
    }
}
