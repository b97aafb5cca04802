import Foundation
import VouchCore
import Yams

/// One YAML or JSON document of a manifest file, as JSON, with where it starts.
struct ManifestDocument {
    var file: String
    /// 1-based line where the document starts.
    var line: Int
    var value: JSONValue
    /// The document's own text (for the raw artifact).
    var text: Substring

    var origin: String { "\(file):\(line)" }
}

/// A document that could not be read: which file, which line, and why.
struct ManifestProblem: Error {
    var file: String
    var line: Int
    var message: String
}

/// Reads manifests: multi-document YAML (each document parsed on its own, so one broken
/// document is reported with its line and the others still load) and JSON (strict parser).
///
/// Scalars are typed as Kubernetes' YAML reader sees them for our purposes: quoted scalars stay
/// strings, plain `true`/`false`, `null`/`~`, integers and floats are typed, everything else
/// (including YAML 1.1's `yes`/`off` and `0755`) keeps its text.
enum ManifestReader {
    /// Splits and parses one file's text. Returns the documents and the problems, in file order.
    static func documents(text: String, file: String) -> (docs: [ManifestDocument], problems: [ManifestProblem]) {
        var docs: [ManifestDocument] = []
        var problems: [ManifestProblem] = []
        if let first = text.first(where: { !$0.isWhitespace }), first == "{" || first == "[" {
            do {
                let value = try JSONValue.parse(Data(text.utf8))
                docs.append(ManifestDocument(file: file, line: 1, value: value, text: Substring(text)))
                return (docs, problems)
            } catch {
                // JSON with comments or YAML flow style: let the YAML reader try before giving up.
                if case .failure(let p) = parseYAML(Substring(text), file: file, firstLine: 1) {
                    problems.append(ManifestProblem(file: file, line: p.line,
                                                    message: "not valid JSON (\(error)) nor YAML (\(p.message))"))
                    return (docs, problems)
                }
            }
        }
        for chunk in splitDocuments(text) {
            switch parseYAML(chunk.text, file: file, firstLine: chunk.line) {
            case .success(let values):
                for (line, v) in values where v != .null {
                    docs.append(ManifestDocument(file: file, line: line, value: v, text: chunk.text))
                }
            case .failure(let p): problems.append(p)
            }
        }
        return (docs, problems)
    }

    /// Splits a YAML stream at `---` / `...` lines (a document marker can never sit inside a
    /// block scalar at column 0), keeping each part's first line number.
    static func splitDocuments(_ text: String) -> [(line: Int, text: Substring)] {
        var out: [(Int, Substring)] = []
        var start = text.startIndex
        var startLine = 1
        var lineNo = 1
        var i = text.startIndex
        while i < text.endIndex {
            let lineEnd = text[i...].firstIndex(of: "\n") ?? text.endIndex
            let line = text[i..<lineEnd]
            if isMarker(line, "---") || isMarker(line, "...") {
                if start < i { out.append((startLine, text[start..<i])) }
                // Content after `--- ` on the same line belongs to the new document.
                let rest = line.dropFirst(3)
                if isMarker(line, "---"), !rest.trimmingCharacters(in: .whitespaces).isEmpty,
                   !rest.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                    start = rest.startIndex
                } else {
                    start = lineEnd < text.endIndex ? text.index(after: lineEnd) : text.endIndex
                }
                startLine = isMarker(line, "---") && start < lineEnd ? lineNo : lineNo + 1
            }
            lineNo += 1
            i = lineEnd < text.endIndex ? text.index(after: lineEnd) : text.endIndex
        }
        if start < text.endIndex { out.append((startLine, text[start..<text.endIndex])) }
        return out
    }

    private static func isMarker(_ line: Substring, _ marker: String) -> Bool {
        guard line.hasPrefix(marker) else { return false }
        let rest = line.dropFirst(3)
        return rest.isEmpty || rest.first == " " || rest.first == "\t" || rest.first == "\r"
    }

    /// Parses one chunk; lines in problems are file lines.
    static func parseYAML(_ text: Substring, file: String, firstLine: Int) -> Result<[(Int, JSONValue)], ManifestProblem> {
        do {
            let parser = try Parser(yaml: String(text), resolver: .basic)
            var values: [(Int, JSONValue)] = []
            while let node = try parser.nextRoot() {
                let line = firstLine + max(0, (node.mark?.line ?? firstContentLine(text) ?? 1) - 1)
                values.append((line, convert(node)))
            }
            return .success(values)
        } catch let e as YamlError {
            let (line, problem) = describe(e)
            return .failure(ManifestProblem(file: file, line: firstLine + line - 1, message: problem))
        } catch {
            return .failure(ManifestProblem(file: file, line: firstLine, message: "\(error)"))
        }
    }

    /// The first line (1-based, in the chunk) holding something other than blanks and comments.
    private static func firstContentLine(_ text: Substring) -> Int? {
        var n = 1
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if !t.isEmpty, !t.hasPrefix("#") { return n }
            n += 1
        }
        return nil
    }

    private static func describe(_ e: YamlError) -> (Int, String) {
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let ctx = context.map { "\($0.text) " } ?? ""
            return (mark.line, "YAML error at column \(mark.column): \(ctx)\(problem)")
        case let .reader(problem, _, _, _): return (1, "YAML reader error: \(problem)")
        case let .duplicatedKeysInMapping(dups, context):
            return (context.mark.line, "duplicate keys \(dups.joined(separator: ", "))")
        default: return (1, "\(e)")
        }
    }

    /// Converts a YAML node to JSON, typing plain scalars only.
    static func convert(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let s): return scalar(s)
        case .mapping(let m):
            var o: [String: JSONValue] = [:]
            o.reserveCapacity(m.count)
            for (k, v) in m {
                let key: String
                if case .scalar(let ks) = k { key = ks.string } else { key = convert(k).canonicalText }
                if key == "<<", case .object(let merged) = convert(v) {
                    for (mk, mv) in merged where o[mk] == nil { o[mk] = mv }
                    continue
                }
                o[key] = convert(v)
            }
            return .object(o)
        case .sequence(let s): return .array(s.map(convert))
        case .alias: return .null
        }
    }

    static func scalar(_ s: Node.Scalar) -> JSONValue {
        let text = s.string
        guard s.style == .plain || s.style == .any else { return .string(text) }
        if s.tag.rawValue == Tag.Name.str.rawValue { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        guard let first = text.utf8.first, first == 45 || first == 43 || first == 46 || (48...57).contains(first) else {
            return .string(text)
        }
        if let i = Int64(text), !(text.count > 1 && text.hasPrefix("0")) { return .int(i) }
        if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let d = Double(text),
           d.isFinite, !text.hasPrefix("0x") { return .double(d) }
        return .string(text)
    }
}
