import Foundation
import VouchCore
import Yams

/// One flattened setting, ready for `talos_setting` (already redacted).
struct FlatSetting {
    var document: String
    var path: String
    var value: JSONValue
    /// The scalar as written in the file (nil for secrets and empty containers).
    var raw: String?
    var secret: Bool
    var encrypted: Bool
    var line: Int?
}

/// Where a secret scalar sits in a document's text, so the stored copy can be redacted in place.
struct SecretSpan {
    var line: Int
    var column: Int
    var style: Node.Scalar.Style
    var raw: String
    var replacement: String
}

/// Walks a Yams node tree once: flattens every scalar to a path, types it, redacts secrets,
/// and builds a JSON tree (secrets replaced) for posture normalization.
///
/// The walk counts every value it visits, aliases expanded; past `limit` it stops with an error,
/// which bounds the time and memory an alias bomb can take.
final class TalosFlattener {
    let redactor: Redactor
    let display: String
    let limit: Int
    private(set) var visited = 0
    private(set) var settings: [FlatSetting] = []
    private(set) var spans: [SecretSpan] = []
    /// The plain secret values seen (to remove any other copy from the stored text).
    private(set) var secretValues: [String] = []
    private(set) var secretCount = 0
    private(set) var encryptedCount = 0

    private var document = ""
    private var kind: String?
    private var firstLine = 1
    private var keys: [String] = []

    init(redactor: Redactor, display: String, limit: Int) {
        self.redactor = redactor
        self.display = display
        self.limit = limit
    }

    /// Flattens one document; `firstLine` maps the document's lines to file lines.
    /// `contextKeys` places a detached value (a JSON-patch `value`) under the keys of its target path,
    /// so the redaction rules see `/machine/token` as a token.
    func flatten(_ root: Node, document: String, kind: String?, firstLine: Int, contextKeys: [String] = []) throws -> JSONValue {
        self.document = document
        self.kind = kind
        self.firstLine = firstLine
        keys = Array(contextKeys.dropLast())
        defer { keys.removeAll() }
        return try walk(root, path: "", key: contextKeys.last)
    }

    /// Takes the secret spans collected since the last call (relative to their document's text).
    func takeSpans() -> [SecretSpan] { defer { spans.removeAll() }; return spans }

    private func fileLine(_ node: Node) -> Int? { node.mark.map { firstLine + $0.line - 1 } }

    private func walk(_ node: Node, path: String, key: String?) throws -> JSONValue {
        visited += 1
        if visited > limit {
            throw TalosInputError.expansion(file: display, line: fileLine(node) ?? firstLine, limit: limit)
        }
        switch node {
        case .scalar(let s):
            return scalar(s, node: node, path: path, key: key)
        case .mapping(let m):
            if m.isEmpty {
                settings.append(FlatSetting(document: document, path: path, value: .object([:]), raw: nil, secret: false,
                                            encrypted: false, line: fileLine(node)))
                return .object([:])
            }
            var obj: [String: JSONValue] = [:]
            obj.reserveCapacity(m.count)
            if let key { keys.append(key) }
            defer { if key != nil { keys.removeLast() } }
            var merged: [Node] = []
            for (k, v) in m {
                let name = k.scalar?.string ?? TalosPath.describe(k)
                // A YAML merge key (`<<: *base`) merges the aliased mapping(s) here, as Talos' decoder does.
                if name == "<<", k.scalar?.style == .plain {
                    if case .sequence(let list) = v { merged.append(contentsOf: list) } else { merged.append(v) }
                    continue
                }
                obj[name] = try walk(v, path: TalosPath.join(path, key: name), key: name)
            }
            for base in merged {
                guard case .mapping(let bm) = base else { continue }
                for (k, v) in bm {
                    let name = k.scalar?.string ?? TalosPath.describe(k)
                    if obj[name] != nil { continue }
                    obj[name] = try walk(v, path: TalosPath.join(path, key: name), key: name)
                }
            }
            return .object(obj)
        case .sequence(let seq):
            if seq.isEmpty {
                settings.append(FlatSetting(document: document, path: path, value: .array([]), raw: nil, secret: false,
                                            encrypted: false, line: fileLine(node)))
                return .array([])
            }
            var arr: [JSONValue] = []
            arr.reserveCapacity(seq.count)
            if let key { keys.append(key) }
            defer { if key != nil { keys.removeLast() } }
            for (i, v) in seq.enumerated() {
                // A list element keeps its list's key for the rules (peers[0].presharedKey → presharedKey under peers).
                arr.append(try walk(v, path: path + "[\(i)]", key: nil))
            }
            return .array(arr)
        case .alias:
            return .null
        }
    }

    private func scalar(_ s: Node.Scalar, node: Node, path: String, key: String?) -> JSONValue {
        let typed = TalosScalar.value(s)
        let plainNonString: Bool
        if case .string = typed { plainNonString = false } else { plainNonString = true }
        let verdict = TalosSecrets.classify(value: s.string, key: key, ancestors: keys, kind: kind,
                                            isPlainNonString: plainNonString, redactor: redactor)
        let line = fileLine(node)
        switch verdict {
        case .plain:
            settings.append(FlatSetting(document: document, path: path, value: typed, raw: s.string, secret: false,
                                        encrypted: false, line: line))
            return typed
        case .blanked:
            settings.append(FlatSetting(document: document, path: path, value: typed, raw: s.string, secret: true,
                                        encrypted: false, line: line))
            return typed
        case .secret:
            let fp = redactor.fingerprint(s.string)
            secretCount += 1
            secretValues.append(s.string)
            addSpan(s, replacement: fp)
            settings.append(FlatSetting(document: document, path: path, value: .string(fp), raw: nil, secret: true,
                                        encrypted: false, line: line))
            return .string(fp)
        case .partial(let rewritten):
            secretCount += 1
            addSpan(s, replacement: TalosRedact.quoteIfNeeded(rewritten))
            settings.append(FlatSetting(document: document, path: path, value: .string(rewritten), raw: nil, secret: true,
                                        encrypted: false, line: line))
            return .string(rewritten)
        case .encrypted(let type):
            encryptedCount += 1
            let placeholder = TalosSecrets.encryptedPlaceholder(type: type)
            settings.append(FlatSetting(document: document, path: path, value: .string(placeholder), raw: nil, secret: false,
                                        encrypted: true, line: line))
            return .string(placeholder)
        }
    }

    private func addSpan(_ s: Node.Scalar, replacement: String) {
        guard let mark = s.mark else { return }
        spans.append(SecretSpan(line: mark.line, column: mark.column, style: s.style, raw: s.string, replacement: replacement))
    }
}

/// Path spelling for `talos_setting.path`.
enum TalosPath {
    /// Appends a key: plain words join with `.`, anything else is written `["key"]`.
    static func join(_ path: String, key: String) -> String {
        if isWord(key) { return path.isEmpty ? key : path + "." + key }
        return path + "[" + JSONValue.string(key).canonicalText + "]"
    }

    static func isWord(_ key: String) -> Bool {
        guard !key.isEmpty else { return false }
        for u in key.utf8 {
            switch u {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "$"):
                continue
            default: return false
            }
        }
        return true
    }

    /// A complex (non-scalar) key, described without its content.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "<mapping key>"
        case .sequence: return "<sequence key>"
        default: return "<key>"
        }
    }
}

/// YAML scalar typing that keeps what was written: quoted scalars stay strings; plain ones become
/// booleans, null, decimal integers or floats only when they are spelled that way (so `0755`, `yes`
/// and `off` stay the strings they were written as).
enum TalosScalar {
    static func value(_ s: Node.Scalar) -> JSONValue {
        let text = s.string
        if s.style != .plain { return .string(text) }
        // An explicit tag (`!!str 0755`, `! yes`) means the author chose the type: keep the text.
        if !s.tag.rawValue.isEmpty { return .string(text) }
        switch text {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case "", "~", "null", "Null", "NULL": return .null
        default: break
        }
        let u = Array(text.utf8)
        var i = 0
        if u[0] == UInt8(ascii: "-") || u[0] == UInt8(ascii: "+") { i = 1 }
        guard i < u.count else { return .string(text) }
        let digitsStart = i
        while i < u.count, u[i] >= 48, u[i] <= 57 { i += 1 }
        if i == u.count {
            // Leading zeros (octal in YAML 1.1, decimal in 1.2): ambiguous, so kept as written.
            if u.count - digitsStart > 1, u[digitsStart] == 48 { return .string(text) }
            if let v = Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text) { return .int(v) }
            return .string(text)
        }
        // A float: digits, one dot, optional exponent.
        var sawDigit = i > digitsStart
        if u[i] == UInt8(ascii: ".") {
            i += 1
            while i < u.count, u[i] >= 48, u[i] <= 57 { i += 1; sawDigit = true }
        }
        if sawDigit, i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
            i += 1
            if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
            let expStart = i
            while i < u.count, u[i] >= 48, u[i] <= 57 { i += 1 }
            if i == expStart { return .string(text) }
        }
        if sawDigit, i == u.count, text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let d = Double(text) {
            return .double(d)
        }
        return .string(text)
    }
}
