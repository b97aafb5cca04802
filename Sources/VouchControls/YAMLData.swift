import Foundation
import VouchCore
import Yams

/// A YAML document read as JSON data, remembering the line each value came from.
///
/// Catalog, check and profile files are read through this type rather than `Yams.load`:
/// timestamps stay the text the author wrote (YAML 1.1 would turn `2026-12-31` into a date),
/// and every error can name the file and the line.
public struct YAMLData: Sendable {
    public var value: JSONValue
    /// The file the data came from (for messages).
    public var file: String
    /// Line (1-based) of each value, by path (`checks.0.sql`, `exceptions.2.expires`).
    public var lines: [String: Int]

    /// Parses one YAML document. Several documents, or none, are errors.
    public static func parse(_ text: String, file: String) throws -> YAMLData {
        let parser: Parser
        do { parser = try Parser(yaml: text) } catch { throw CatalogError.yaml(file: file, line: nil, reason: "\(error)") }
        var roots: [Node] = []
        do {
            while let node = try parser.nextRoot() { roots.append(node) }
        } catch let e as YamlError {
            throw CatalogError.yaml(file: file, line: Self.line(of: e), reason: Self.describe(e))
        } catch {
            throw CatalogError.yaml(file: file, line: nil, reason: "\(error)")
        }
        guard roots.count <= 1 else {
            throw CatalogError.yaml(file: file, line: roots[1].mark?.line, reason: "expected one YAML document, found \(roots.count)")
        }
        var data = YAMLData(value: .object([:]), file: file, lines: [:])
        if let root = roots.first { data.value = data.convert(root, path: "") }
        return data
    }

    /// Reads and parses a file.
    public static func load(path: String) throws -> YAMLData {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CatalogError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CatalogError.yaml(file: path, line: nil, reason: "the file is not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// The line of a path, or of its nearest parent that has one.
    public func line(_ path: String) -> Int? {
        var p = path
        while true {
            if let l = lines[p] { return l }
            guard let dot = p.lastIndex(of: ".") else { return lines[""] }
            p = String(p[..<dot])
        }
    }

    /// "file:line" for messages.
    public func location(_ path: String) -> String {
        line(path).map { "\(file):\($0)" } ?? file
    }

    private mutating func convert(_ node: Node, path: String) -> JSONValue {
        if let mark = node.mark { lines[path] = mark.line }
        switch node {
        case .scalar(let s):
            // Quoted scalars are text; plain ones resolve as YAML does, except timestamps, which stay text.
            guard s.style == .plain else { return .string(s.string) }
            if NSNull.construct(from: s) != nil { return .null }
            if let b = Bool.construct(from: s) { return .bool(b) }
            if let i = Int.construct(from: s) { return .int(Int64(i)) }
            if let d = Double.construct(from: s), d.isFinite, s.string.contains(where: { $0.isNumber }) { return .double(d) }
            return .string(s.string)
        case .sequence(let seq):
            var out: [JSONValue] = []
            for (i, n) in seq.enumerated() { out.append(convert(n, path: Self.join(path, String(i)))) }
            return .array(out)
        case .mapping(let map):
            var out: [String: JSONValue] = [:]
            for (k, v) in map {
                let key = k.string ?? "\(k)"
                out[key] = convert(v, path: Self.join(path, key))
            }
            return .object(out)
        case .alias:
            return .null
        }
    }

    static func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : a + "." + b }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        default: return "\(error)"
        }
    }
}
