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
        let chunks = splitDocuments(text)
        var results = [Result<[(Int, JSONValue)], ManifestProblem>?](repeating: nil, count: chunks.count)
        if chunks.count >= 64 {
            // Documents parse independently: a big multi-document file uses every core.
            results.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let out = buffer
                DispatchQueue.concurrentPerform(iterations: chunks.count) { i in
                    out[i] = parseYAML(chunks[i].text, file: file, firstLine: chunks[i].line)
                }
            }
        } else {
            for (i, chunk) in chunks.enumerated() { results[i] = parseYAML(chunk.text, file: file, firstLine: chunk.line) }
        }
        for (chunk, result) in zip(chunks, results) {
            switch result! {
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
        let u = text.utf8
        var start = u.startIndex
        var startLine = 1
        var lineNo = 1
        var i = u.startIndex
        while i < u.endIndex {
            let lineEnd = u[i...].firstIndex(of: 10) ?? u.endIndex
            let first = u[i]
            if first == 45 || first == 46, let kind = marker(u[i..<lineEnd]) {  // '-' or '.'
                if start < i { out.append((startLine, Substring(text[start..<i]))) }
                let rest = text[u.index(i, offsetBy: 3)..<lineEnd].trimmingCharacters(in: .whitespaces)
                if kind == 45, !rest.isEmpty, !rest.hasPrefix("#") {
                    // Content after `--- ` on the same line belongs to the new document.
                    start = u.index(i, offsetBy: 3)
                    startLine = lineNo
                } else {
                    start = lineEnd < u.endIndex ? u.index(after: lineEnd) : u.endIndex
                    startLine = lineNo + 1
                }
            }
            lineNo += 1
            i = lineEnd < u.endIndex ? u.index(after: lineEnd) : u.endIndex
        }
        if start < u.endIndex { out.append((startLine, Substring(text[start..<u.endIndex]))) }
        return out
    }

    /// `---` or `...` alone (or followed by a blank) at the start of a line: returns the marker byte.
    private static func marker(_ line: Substring.UTF8View) -> UInt8? {
        guard line.count >= 3 else { return nil }
        let b = Array(line.prefix(4))
        guard b[0] == b[1], b[1] == b[2], b[0] == 45 || b[0] == 46 else { return nil }
        if b.count == 3 || b[3] == 32 || b[3] == 9 || b[3] == 13 { return b[0] }
        return nil
    }

    /// Parses one chunk; lines in problems are file lines.
    static func parseYAML(_ text: Substring, file: String, firstLine: Int) -> Result<[(Int, JSONValue)], ManifestProblem> {
        do {
            // An explicit encoding: the default one reads the whole process environment on every parser.
            let parser = try Parser(yaml: String(text), resolver: .basic, encoding: .utf8)
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
