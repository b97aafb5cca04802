import Foundation

/// Field-level differences between two JSON values, as JSON paths with old → new values.
///
/// Objects compare key by key. Arrays are aligned on equal elements first (a longest
/// common subsequence), so one inserted list entry reports one addition rather than
/// every later index as changed; elements left unmatched at the same gap are paired by
/// position and compared field by field.
public enum JSONDiff {
    /// Arrays longer than this are compared by position only (the alignment is quadratic).
    static let alignLimit = 2_000

    public static func diff(_ old: JSONValue?, _ new: JSONValue?, path: String = "$") -> [FieldChange] {
        var out: [FieldChange] = []
        walk(old, new, path, &out)
        return out
    }

    /// `$.key` for plain keys, `$["odd key"]` otherwise.
    public static func child(_ path: String, key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy { ($0.isASCII && (CharacterSet.alphanumerics.contains($0))) || $0 == "_" || $0 == "-" }
            && !(key.first!.isNumber)
        if plain { return path + "." + key }
        return path + "[" + JSONValue.string(key).canonicalText + "]"
    }

    public static func child(_ path: String, index: Int) -> String { path + "[\(index)]" }

    private static func walk(_ old: JSONValue?, _ new: JSONValue?, _ path: String, _ out: inout [FieldChange]) {
        if old == new { return }
        switch (old, new) {
        case (.object(let a)?, .object(let b)?):
            for key in Set(a.keys).union(b.keys).sorted() {
                walk(a[key], b[key], child(path, key: key), &out)
            }
        case (.array(let a)?, .array(let b)?):
            walkArrays(a, b, path, &out)
        default:
            out.append(FieldChange(path: path, old: old, new: new))
        }
    }

    private static func walkArrays(_ a: [JSONValue], _ b: [JSONValue], _ path: String, _ out: inout [FieldChange]) {
        if a.count == b.count || a.count > alignLimit || b.count > alignLimit {
            for i in 0..<max(a.count, b.count) {
                walk(i < a.count ? a[i] : nil, i < b.count ? b[i] : nil, child(path, index: i), &out)
            }
            return
        }
        // Trim the common head and tail, then align the middle on equal elements.
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let x = Array(a[head..<(a.count - tail)]), y = Array(b[head..<(b.count - tail)])
        let pairs = lcs(x, y)
        var i = 0, j = 0
        func gap(until pi: Int, _ pj: Int) {
            let paired = min(pi - i, pj - j)
            for k in 0..<paired { walk(x[i + k], y[j + k], child(path, index: head + j + k), &out) }
            for k in paired..<(pi - i) { walk(x[i + k], nil, child(path, index: head + i + k), &out) }
            for k in paired..<(pj - j) { walk(nil, y[j + k], child(path, index: head + j + k), &out) }
        }
        for (pi, pj) in pairs {
            gap(until: pi, pj)
            i = pi + 1
            j = pj + 1
        }
        gap(until: x.count, y.count)
    }

    /// Index pairs of a longest common subsequence of equal elements.
    private static func lcs(_ x: [JSONValue], _ y: [JSONValue]) -> [(Int, Int)] {
        if x.isEmpty || y.isEmpty { return [] }
        let n = x.count, m = y.count
        let hx = x.map(\.hashValue), hy = y.map(\.hashValue)
        var table = [Int32](repeating: 0, count: (n + 1) * (m + 1))
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i * (m + 1) + j] = (hx[i] == hy[j] && x[i] == y[j])
                    ? table[(i + 1) * (m + 1) + j + 1] + 1
                    : max(table[(i + 1) * (m + 1) + j], table[i * (m + 1) + j + 1])
            }
        }
        var out: [(Int, Int)] = []
        var i = 0, j = 0
        while i < n, j < m {
            if hx[i] == hy[j], x[i] == y[j] { out.append((i, j)); i += 1; j += 1 }
            else if table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1] { i += 1 }
            else { j += 1 }
        }
        return out
    }
}

/// Fields a drift comparison leaves out: `PATH` or `KIND:PATH`, where KIND may end in `*`
/// and PATH (`$.mtime`, `$.metadata.annotations`, `origin`) also covers everything below it.
public struct DriftIgnore: Sendable, Hashable {
    public var kind: String?
    public var path: String

    public init(kind: String? = nil, path: String) {
        self.kind = kind
        self.path = path
    }

    /// Parses `PATH` or `KIND:PATH`.
    public static func parse(_ text: String) throws -> DriftIgnore {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("$") || t == "blob_sha256" || t == "status" || t == "origin" { return DriftIgnore(path: t) }
        if let colon = t.firstIndex(of: ":") {
            let kind = String(t[..<colon]), path = String(t[t.index(after: colon)...])
            if !kind.isEmpty, path.hasPrefix("$") || ["blob_sha256", "status", "origin"].contains(path) {
                return DriftIgnore(kind: kind, path: path)
            }
        }
        throw DriftError.badIgnore(text)
    }

    public func matches(kind itemKind: String, path fieldPath: String) -> Bool {
        if let kind {
            if kind.hasSuffix("*") { if !itemKind.hasPrefix(kind.dropLast()) { return false } }
            else if kind != itemKind { return false }
        }
        if fieldPath == path { return true }
        guard fieldPath.hasPrefix(path) else { return false }
        let next = fieldPath[fieldPath.index(fieldPath.startIndex, offsetBy: path.count)]
        return next == "." || next == "["
    }
}
