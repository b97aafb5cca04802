import Foundation
import Yams

/// An organisation's choices (`vouch.yaml`): sources, thresholds, scope, applicability,
/// exceptions and attestations. The core reads `sources`; other layers read their sections from `document`.
public struct Profile: Sendable {
    /// The whole profile as JSON.
    public var document: JSONValue
    /// The profile's digest, recorded in captures and results.
    public var sha256: String?
    /// The folder relative paths are resolved against.
    public var directory: URL
    public var path: String?

    public init(document: JSONValue = .object([:]), sha256: String? = nil, directory: URL, path: String? = nil) {
        self.document = document
        self.sha256 = sha256
        self.directory = directory
        self.path = path
    }

    /// An empty profile rooted in the working directory.
    public static var empty: Profile { Profile(directory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) }

    /// Loads a profile file. Errors name the file and line.
    public static func load(path: String) throws -> Profile {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ProfileError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ProfileError.invalid(path: path, reason: "not UTF-8 text") }
        let any: Any?
        do { any = try Yams.load(yaml: text) } catch {
            throw ProfileError.invalid(path: path, reason: "\(error)")
        }
        let doc = JSONValue(any: any)
        if doc != .null, doc.objectValue == nil { throw ProfileError.invalid(path: path, reason: "the top level must be a mapping") }
        return Profile(document: doc == .null ? .object([:]) : doc, sha256: Hashing.sha256Hex(data),
                       directory: url.deletingLastPathComponent(), path: path)
    }

    /// A top-level section, e.g. `profile["checks"]`.
    public subscript(key: String) -> JSONValue? { document[key] }

    /// The sources the profile names: `sources: [{kind: files, target: ./etc, …options}]`
    /// or `sources: {files: [./etc], git: [{target: ., branch: main}]}`.
    public func sources() throws -> [SourceRequest] {
        guard let s = document["sources"] else { return [] }
        var out: [SourceRequest] = []
        func entry(kind: String, _ v: JSONValue) throws {
            switch v {
            case .string(let t): out.append(SourceRequest(source: kind, target: t))
            case .object(var o):
                guard let t = o.removeValue(forKey: "target")?.stringValue ?? o.removeValue(forKey: "path")?.stringValue else {
                    throw ProfileError.invalid(path: path ?? "profile", reason: "source '\(kind)' needs a target")
                }
                o.removeValue(forKey: "kind")
                out.append(SourceRequest(source: kind, target: t, options: o))
            default: throw ProfileError.invalid(path: path ?? "profile", reason: "source '\(kind)': expected a target or a mapping")
            }
        }
        switch s {
        case .array(let list):
            for v in list {
                guard let kind = v["kind"]?.stringValue ?? v["source"]?.stringValue else {
                    throw ProfileError.invalid(path: path ?? "profile", reason: "every entry under sources needs a kind")
                }
                var v2 = v
                if case .object(var o) = v2 { o.removeValue(forKey: "source"); v2 = .object(o) }
                try entry(kind: kind, v2)
            }
        case .object(let map):
            for kind in map.keys.sorted() {
                if let list = map[kind]?.arrayValue { for v in list { try entry(kind: kind, v) } }
                else if let v = map[kind] { try entry(kind: kind, v) }
            }
        default: throw ProfileError.invalid(path: path ?? "profile", reason: "sources must be a list or a mapping")
        }
        return out
    }
}

public enum ProfileError: Error, LocalizedError, Sendable {
    case unreadable(path: String, reason: String)
    case invalid(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason): return "cannot read the profile \(path): \(reason). `vouch init` writes a starter profile."
        case .invalid(let path, let reason): return "the profile \(path) is invalid: \(reason)"
        }
    }
}
