import Foundation
import VouchCore

/// Reads a catalog directory: `framework.yaml`, the control files it lists, and every check file
/// under its checks folder. Schema problems are collected (all of them, each with file and line),
/// so `vouch controls lint` can show everything at once; `load` throws on the first.
public struct CatalogLoader {
    public var directory: URL
    public var origin: String
    public private(set) var problems: [String] = []
    private var digest: [(String, Data)] = []

    public init(directory: URL, origin: String = "given") {
        self.directory = directory.standardizedFileURL
        self.origin = origin
    }

    /// Loads and validates; throws the first problem (with the count of the rest).
    public static func load(directory: URL, origin: String = "given") throws -> Catalog {
        var loader = CatalogLoader(directory: directory, origin: origin)
        let catalog = try loader.read()
        if let first = loader.problems.first {
            let more = loader.problems.count > 1 ? " (and \(loader.problems.count - 1) more problems: run `vouch controls lint`)" : ""
            throw CatalogError.invalid(location: "catalog \(directory.path)", reason: first + more)
        }
        return catalog
    }

    /// Reads everything it can; problems go to `problems`. Throws only when nothing usable was found.
    public mutating func read() throws -> Catalog {
        let fw = try file("framework.yaml")
        let framework = parseFramework(fw)
        var controls: [Control] = []
        for (i, rel) in (fw.value["catalog"]?.arrayValue ?? []).enumerated() {
            guard let rel = rel.stringValue else { problem(fw, "catalog.\(i)", "expected a file name"); continue }
            do { controls += parseControls(try file(rel), framework: framework) } catch { problems.append(describe(error)) }
        }
        if fw.value["catalog"]?.arrayValue == nil { problem(fw, "catalog", "list the control files under `catalog:`") }
        var checks: [String: Check] = [:]
        let checksDir = fw.value["checks"]?.stringValue ?? "checks"
        for rel in yamlFiles(under: checksDir) {
            do {
                let data = try file(rel)
                guard let check = parseCheck(data) else { continue }
                if let other = checks[check.id] { problem(data, "id", "check id '\(check.id)' is also defined in \(other.file)") }
                checks[check.id] = check
            } catch { problems.append(describe(error)) }
        }
        var seen: [String: String] = [:]
        for c in controls {
            if let other = seen[c.id] { problems.append("\(c.location): control \(c.id) is also defined at \(other)") }
            seen[c.id] = c.location
            for ref in c.checks where checks[ref] == nil {
                problems.append("\(c.location): control \(c.id) lists check '\(ref)', which no file under \(checksDir)/ defines")
            }
        }
        var h = FieldHasher(domain: "vouch.catalog.v1")
        for (path, data) in digest.sorted(by: { $0.0 < $1.0 }) {
            h.add(path)
            data.withUnsafeBytes { h.add(raw: $0) }
        }
        var starter: URL?
        if let rel = fw.value["starter_profile"]?.stringValue {
            starter = directory.appendingPathComponent(rel)
            if !FileManager.default.fileExists(atPath: starter!.path) { problem(fw, "starter_profile", "\(rel) does not exist") }
        }
        return Catalog(directory: directory, framework: framework, controls: controls, checks: checks,
                       sha256: h.finalizeHex(), origin: origin, starterProfile: starter)
    }

    // MARK: - Files

    private mutating func file(_ rel: String) throws -> YAMLData {
        let url = directory.appendingPathComponent(rel)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CatalogError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        digest.append((rel, data))
        guard let text = String(data: data, encoding: .utf8) else {
            throw CatalogError.yaml(file: url.path, line: nil, reason: "the file is not UTF-8 text")
        }
        return try YAMLData.parse(text, file: url.path)
    }

    private func yamlFiles(under rel: String) -> [String] {
        let root = directory.appendingPathComponent(rel)
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var out: [String] = []
        for case let url as URL in e where ["yaml", "yml"].contains(url.pathExtension) {
            let full = url.standardizedFileURL.path
            out.append(String(full.dropFirst(directory.path.count + 1)))
        }
        return out.sorted()
    }

    private func describe(_ error: any Error) -> String { (error as? LocalizedError)?.errorDescription ?? "\(error)" }

    mutating func problem(_ d: YAMLData, _ path: String, _ text: String) {
        problems.append("\(d.location(path)): \(text)")
    }

    mutating func string(_ d: YAMLData, _ v: JSONValue, _ path: String, _ key: String, required: Bool = true) -> String {
        let p = YAMLData.join(path, key)
        switch v[key] {
        case .string(let s)? where !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty:
            return s.trimmingCharacters(in: .whitespacesAndNewlines)
        case nil, .null?: if required { problem(d, p, "`\(key)` is required") }
        case .int(let i)?: return String(i)
        default: if required { problem(d, p, "`\(key)` must be non-empty text") }
        }
        return ""
    }

    // MARK: - Framework and controls

    private mutating func parseFramework(_ d: YAMLData) -> Framework {
        var themes: [String] = []
        var titles: [String: String] = [:]
        for (i, t) in (d.value["themes"]?.arrayValue ?? []).enumerated() {
            let id = string(d, t, "themes.\(i)", "id")
            themes.append(id)
            titles[id] = t["title"]?.stringValue ?? id
        }
        if themes.isEmpty { problem(d, "themes", "list the themes (id, title) under `themes:`") }
        return Framework(id: string(d, d.value, "", "id"), title: string(d, d.value, "", "title"),
                         version: string(d, d.value, "", "version"), themes: themes, themeTitles: titles)
    }

    private mutating func parseControls(_ d: YAMLData, framework: Framework) -> [Control] {
        let theme = string(d, d.value, "", "theme")
        if !theme.isEmpty, !framework.themes.contains(theme) {
            problem(d, "theme", "theme '\(theme)' is not one of framework.yaml's themes (\(framework.themes.joined(separator: ", ")))")
        }
        guard let list = d.value["controls"]?.arrayValue else { problem(d, "controls", "expected a list under `controls:`"); return [] }
        var out: [Control] = []
        for (i, v) in list.enumerated() {
            let p = "controls.\(i)"
            var checks: [String] = []
            for (j, c) in (v["checks"]?.arrayValue ?? []).enumerated() {
                if let s = c.stringValue { checks.append(s) } else { problem(d, "\(p).checks.\(j)", "a check id must be text") }
            }
            let manual = v["manual"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines)
            let c = Control(id: string(d, v, p, "id"), title: string(d, v, p, "title"), theme: theme,
                            guidance: string(d, v, p, "guidance"), checks: checks, manual: manual,
                            location: d.location(p))
            if checks.isEmpty, manual == nil {
                problem(d, p, "control \(c.id) has no checks: say under `manual:` what attestation is expected")
            }
            out.append(c)
        }
        return out
    }
}
