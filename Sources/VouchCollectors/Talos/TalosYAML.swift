import Foundation
import VouchCore
import Yams

/// One YAML document of a Talos file, parsed with Yams' Node API so scalars keep their original text.
struct YAMLDocument {
    /// The document's text (between `---` markers), for redaction of the stored copy.
    var text: String
    /// The file line the document's text starts on (1-based).
    var firstLine: Int
    /// The parsed root, or nil for an empty document (comments only).
    var root: Node?
}

/// Why a Talos file could not be read. Messages name the file, the line and what to do;
/// they never quote the input (a broken line may hold a secret).
enum TalosInputError: Error, LocalizedError, Equatable {
    case tooLarge(file: String, size: Int64, limit: Int64)
    case notUTF8(file: String, line: Int, offset: Int, byte: UInt8)
    case syntax(file: String, line: Int, column: Int, problem: String)
    case aliasKey(file: String, line: Int)
    case expansion(file: String, line: Int, limit: Int)
    case unreadable(file: String, reason: String)
    case badJSON(file: String, line: Int, column: Int, problem: String)
    case badSpec(file: String, node: String, reason: String)

    var errorDescription: String? {
        switch self {
        case .tooLarge(let f, let size, let limit):
            return "\(f): the file is \(size) bytes, more than the \(limit)-byte limit for a Talos config; "
                + "it is not read. If it really is a config, raise `max_file_bytes` for the talos source in the profile."
        case .notUTF8(let f, let line, let offset, let byte):
            return "\(f) line \(line): not UTF-8 text (byte 0x\(String(byte, radix: 16, uppercase: true)) at offset \(offset)); "
                + "Talos configs are UTF-8: re-save the file as UTF-8."
        case .syntax(let f, let line, let column, let problem):
            return "\(f) line \(line) column \(column): invalid YAML: \(problem); fix the YAML (`talosctl validate` checks a config)."
        case .aliasKey(let f, let line):
            return "\(f) line \(line): an alias (*name) used as a mapping key is refused because it can expand without bound; "
                + "write the key out."
        case .expansion(let f, let line, let limit):
            return "\(f) line \(line): the YAML expands to more than \(limit) values through anchors and aliases "
                + "(an alias bomb?); it is not read. Remove the aliases or write the values out."
        case .unreadable(let f, let reason):
            return "\(f): cannot read the file: \(reason); grant read access to the user running vouch, or exclude it."
        case .badJSON(let f, let line, let column, let problem):
            return "\(f) line \(line) column \(column): invalid JSON: \(problem); re-run `talosctl get machineconfig -o json` "
                + "and save its whole output."
        case .badSpec(let f, let node, let reason):
            return "\(f): the machine config of node \(node) in this talosctl output is unusable: \(reason)."
        }
    }
}

/// Reads Talos YAML safely: size limit, UTF-8 check, one parse per document, alias guard.
enum TalosYAML {
    /// Reads a file's bytes, refusing ones above `limit` before reading them (bounded memory).
    static func readFile(_ url: URL, display: String, limit: Int64) throws -> Data {
        var st = stat()
        guard stat(url.path, &st) == 0 else {
            throw TalosInputError.unreadable(file: display, reason: String(cString: strerror(errno)))
        }
        if Int64(st.st_size) > limit { throw TalosInputError.tooLarge(file: display, size: Int64(st.st_size), limit: limit) }
        do { return try Data(contentsOf: url) } catch {
            throw TalosInputError.unreadable(file: display, reason: (error as NSError).localizedFailureReason ?? "read failed")
        }
    }

    /// Decodes UTF-8 strictly, naming the line and offset of the first bad byte.
    static func decode(_ data: Data, display: String) throws -> String {
        if let s = String(validating: data, as: UTF8.self) { return s.hasPrefix("\u{FEFF}") ? String(s.dropFirst()) : s }
        let bytes = [UInt8](data)
        var i = 0, line = 1
        while i < bytes.count {
            let n = SafeText.utf8SequenceLength(bytes, at: i)
            if n == 0 { throw TalosInputError.notUTF8(file: display, line: line, offset: i, byte: bytes[i]) }
            if bytes[i] == 0x0A { line += 1 }
            i += n
        }
        throw TalosInputError.notUTF8(file: display, line: line, offset: bytes.count, byte: 0)
    }

    /// Splits a YAML stream at `---` / `...` lines and parses each document on its own, so one
    /// broken document is reported (with its file line) while the others are still read.
    static func documents(_ text: String, display: String) -> [Result<YAMLDocument, TalosInputError>] {
        var out: [Result<YAMLDocument, TalosInputError>] = []
        var chunk: [Substring] = []
        var chunkStart = 1
        var lineNo = 0
        func flush() {
            defer { chunk.removeAll(keepingCapacity: true) }
            guard chunk.contains(where: { !isBlankOrComment($0) }) else { return }
            var body = ""
            body.reserveCapacity(chunk.reduce(0) { $0 + $1.utf8.count + 1 })
            for (i, line) in chunk.enumerated() {
                if i > 0 { body += "\n" }
                body += line
            }
            body += "\n"
            out.append(parse(body, firstLine: chunkStart, display: display))
        }
        for line in TalosLines.split(text) {
            lineNo += 1
            // A CR LF line keeps its CR: drop it (a lone CR at a line end is dropped alike).
            let l = line.utf8.last == 13 ? line.dropLast() : line
            // Byte checks first: only a line starting with `---` or `...` can be a marker.
            let u = l.utf8
            var it = u.makeIterator()
            let b0 = it.next(), b1 = it.next(), b2 = it.next()
            if b0 == 0x2D, b1 == 0x2D, b2 == 0x2D,
               l.hasPrefix("---") && (l.count == 3 || l.dropFirst(3).first == " " || l.dropFirst(3).first == "\t") {
                flush()
                // Content after `--- ` on the marker line belongs to the next document.
                let rest = l.dropFirst(3).drop(while: { $0 == " " || $0 == "\t" })
                chunkStart = lineNo
                if !rest.isEmpty, !rest.hasPrefix("#") { chunk.append(Substring(String(repeating: " ", count: l.count - rest.count)) + rest) }
                else { chunk.append("") }
                continue
            }
            if b0 == 0x2E, b1 == 0x2E, b2 == 0x2E, it.next() == nil { flush(); chunkStart = lineNo + 1; continue }
            if chunk.isEmpty { chunkStart = lineNo }
            chunk.append(l)
        }
        flush()
        return out
    }

    private static func isBlankOrComment(_ s: Substring) -> Bool {
        // Byte fast path for ASCII starts; a non-ASCII byte where it matters (a combining mark can
        // join a space or `#` into another Character) takes the Character path.
        let u = s.utf8
        var i = u.startIndex
        while i != u.endIndex, u[i] == 0x20 || u[i] == 0x09 { i = u.index(after: i) }
        if i == u.endIndex { return true }
        let first = u[i]
        let next = u.index(after: i)
        if first < 0x80, next == u.endIndex || u[next] < 0x80 {
            return first == 0x23 || first == 0x25
        }
        let t = s.drop(while: { $0 == " " || $0 == "\t" })
        return t.isEmpty || t.hasPrefix("#") || t.hasPrefix("%")
    }

    /// Parses one document, after refusing alias keys (they would make Yams hash an expanded tree).
    static func parse(_ body: String, firstLine: Int, display: String) -> Result<YAMLDocument, TalosInputError> {
        var n = 0
        // Only a text with an asterisk can hold an alias; most configs have none, so skip the line scan.
        let lines = SafeText.contains(body, "*") ? body.split(separator: "\n", omittingEmptySubsequences: false) : []
        for line in lines {
            n += 1
            var t = line.drop(while: { $0 == " " || $0 == "\t" })
            while t.hasPrefix("- ") { t = t.dropFirst(2).drop(while: { $0 == " " }) }
            if t.hasPrefix("? *") || (t.hasPrefix("*") && t.contains(":")) {
                return .failure(.aliasKey(file: display, line: firstLine + n - 1))
            }
        }
        do {
            // The basic resolver tags every scalar as a string: TalosScalar types them (keeping what was
            // written), and Yams' regex resolution of every key was the parser's main cost.
            // UTF-8 named explicitly: Yams' `.default` reads the whole process environment on every parser.
            let parser = try Parser(yaml: body, resolver: .basic, encoding: .utf8)
            let root = try parser.nextRoot()
            return .success(YAMLDocument(text: body, firstLine: firstLine, root: root))
        } catch let error as YamlError {
            return .failure(syntaxError(error, firstLine: firstLine, display: display))
        } catch {
            return .failure(.syntax(file: display, line: firstLine, column: 1, problem: "\(type(of: error))"))
        }
    }

    /// Turns a Yams error into a message with the file line, without the snippet Yams adds.
    static func syntaxError(_ error: YamlError, firstLine: Int, display: String) -> TalosInputError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var p = problem
            if let context, !context.text.isEmpty, !context.text.contains("\n") { p = "\(problem) (\(context.text))" }
            return .syntax(file: display, line: firstLine + mark.line - 1, column: mark.column, problem: p)
        case .reader(let problem, _, _, _):
            return .syntax(file: display, line: firstLine, column: 1, problem: problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.prefix(3).map { String($0.prefix(40)) }.joined(separator: ", ")
            return .syntax(file: display, line: firstLine + context.mark.line - 1, column: context.mark.column,
                           problem: "duplicated mapping key(s) \(keys)")
        default:
            return .syntax(file: display, line: firstLine, column: 1, problem: "the YAML could not be parsed")
        }
    }
}

/// Line splitting for Talos texts.
enum TalosLines {
    /// The lines of `text`, split at every LF (a CR before it stays at the end of its line, for the
    /// caller to drop). Splitting Characters instead would miss CR LF, which is one Character: a CR LF
    /// file would be one line, its `---` markers never seen and all but its first document lost.
    static func split(_ text: String) -> [Substring] {
        var offsets: [Int] = []
        var copy = text
        copy.withUTF8 { b in
            guard let base = b.baseAddress else { return }
            var from = 0
            while from < b.count, let hit = memchr(base + from, 0x0A, b.count - from) {
                let at = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
                offsets.append(at)
                from = at + 1
            }
        }
        var out: [Substring] = []
        out.reserveCapacity(offsets.count + 1)
        let u = text.utf8
        var start = u.startIndex
        var prev = 0
        for at in offsets {
            let end = u.index(start, offsetBy: at - prev)
            out.append(text[start..<end])
            start = u.index(after: end)
            prev = at + 1
        }
        out.append(text[start...])
        return out
    }
}
