import Foundation

/// A recursive-descent parser for the whole Nix language, with precedence climbing for
/// operators (Nix's own precedence and associativity table from `parser.y`).
///
/// Errors come back as `NixSyntaxError` (`file:line:column: message`); nesting deeper
/// than `maxDepth` is refused rather than risking the stack.
public struct NixParser {
    /// Nesting deeper than this is refused (real configurations stay far below it).
    public static let maxDepth = 400

    struct Failure: Error { var offset: Int; var message: String }

    var lexer: NixLexer
    var cur: NixToken
    var ahead: [NixToken] = []
    var aheadStart = 0
    var depth = 0
    let b: UnsafeBufferPointer<UInt8>

    /// Parses a whole file. `file` only names it in errors.
    public static func parse(_ bytes: [UInt8], file: String) throws(NixSyntaxError) -> NixExpr {
        let result: Result<NixExpr, NixSyntaxError> = bytes.withUnsafeBufferPointer { buf in
            do {
                return .success(try parse(buffer: buf))
            } catch let f as Failure {
                let loc = NixLineTable(buf).location(min(f.offset, buf.count))
                return .failure(NixSyntaxError(file: file, line: loc.line, column: loc.column, message: f.message))
            } catch let e as NixLexer.LexError {
                let loc = NixLineTable(buf).location(min(e.offset, buf.count))
                return .failure(NixSyntaxError(file: file, line: loc.line, column: loc.column, message: e.message))
            } catch {
                return .failure(NixSyntaxError(file: file, line: 1, column: 1, message: "\(error)"))
            }
        }
        return try result.get()
    }

    /// Parses on a thread with a large stack, so deep (but allowed) nesting is safe from any caller.
    public static func parseOnLargeStack(_ bytes: [UInt8], file: String) throws(NixSyntaxError) -> NixExpr {
        final class Box: @unchecked Sendable { var result: Result<NixExpr, NixSyntaxError>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.result = Result { () throws(NixSyntaxError) -> NixExpr in try parse(bytes, file: file) }
            done.signal()
        }
        thread.stackSize = 256 << 20
        thread.start()
        done.wait()
        return try box.result!.get()
    }

    static func parse(buffer: UnsafeBufferPointer<UInt8>) throws -> NixExpr {
        guard buffer.count < Int(UInt32.max) else {
            throw Failure(offset: 0, message: "the file is 4 GiB or larger; Vouch does not parse Nix files that large")
        }
        if let bad = UTF8Check.firstInvalid(buffer) {
            throw Failure(offset: bad, message: "invalid UTF-8 (byte 0x\(String(buffer[bad], radix: 16, uppercase: true))); save the file as UTF-8")
        }
        var p = try NixParser(buffer)
        let e = try p.parseExpr()
        guard p.cur.kind == .eof else { throw p.unexpected("the end of the file") }
        return e
    }

    init(_ buffer: UnsafeBufferPointer<UInt8>) throws {
        b = buffer
        lexer = NixLexer(buffer)
        cur = NixToken(kind: .eof, start: 0, end: 0)
        cur = try lexer.next()
    }

    // MARK: - Token helpers

    @inline(__always)
    mutating func advance() throws {
        if aheadStart == ahead.count {
            cur = try lexer.next()
        } else {
            cur = ahead[aheadStart]
            aheadStart += 1
            if aheadStart == ahead.count { ahead.removeAll(keepingCapacity: true); aheadStart = 0 }
        }
    }

    /// The k-th token after the current one (k >= 1), lexed ahead and kept for `advance`.
    mutating func peek(_ k: Int) throws -> NixToken {
        while ahead.count - aheadStart < k { ahead.append(try lexer.next()) }
        return ahead[aheadStart + k - 1]
    }

    func unexpected(_ expected: String) -> Failure {
        let got = cur.kind == .eof ? "the end of the file" : "\(cur.kind.display)"
        return Failure(offset: cur.start, message: "syntax error: unexpected \(got), expecting \(expected)")
    }

    mutating func expect(_ k: NixTokenKind, _ what: String? = nil) throws -> NixToken {
        guard cur.kind == k else { throw unexpected(what ?? k.display) }
        let t = cur
        try advance()
        return t
    }

    func text(_ t: NixToken) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[t.start..<t.end]), as: UTF8.self) }

    mutating func enter() throws {
        depth += 1
        if depth > Self.maxDepth {
            throw Failure(offset: cur.start, message: "expression nested deeper than \(Self.maxDepth) levels; Vouch refuses it")
        }
    }

    // MARK: - Expressions

    /// expr: lambda, assert, with, let … in, if, or an operator expression.
    mutating func parseExpr() throws -> NixExpr {
        try enter()
        defer { depth -= 1 }
        let start = cur.start
        switch cur.kind {
        case .identifier:
            let next = try peek(1)
            if next.kind == .colon {
                let name = text(cur)
                try advance(); try advance()
                let body = try parseExpr()
                return NixExpr(.lambda(NixLambdaParameter(name: name, formals: nil, ellipsis: false), body), start, body.end)
            }
            if next.kind == .at {
                let name = text(cur)
                try advance(); try advance()
                guard cur.kind == .lbrace else { throw unexpected("'{' after '@'") }
                var param = try parseFormals()
                param.name = name
                _ = try expect(.colon)
                let body = try parseExpr()
                return NixExpr(.lambda(param, body), start, body.end)
            }
        case .lbrace:
            if try looksLikeFormals() {
                var param = try parseFormals()
                if cur.kind == .at {
                    try advance()
                    param.name = text(try expect(.identifier))
                }
                _ = try expect(.colon, "':' after the function's arguments")
                let body = try parseExpr()
                return NixExpr(.lambda(param, body), start, body.end)
            }
        case .kwAssert:
            try advance()
            let cond = try parseExpr()
            _ = try expect(.semicolon)
            let body = try parseExpr()
            return NixExpr(.assert(cond, body), start, body.end)
        case .kwWith:
            try advance()
            let scope = try parseExpr()
            _ = try expect(.semicolon)
            let body = try parseExpr()
            return NixExpr(.with(scope, body), start, body.end)
        case .kwLet:
            if try peek(1).kind == .lbrace { break }
            try advance()
            let binds = try parseBindings(until: .kwIn)
            _ = try expect(.kwIn)
            try checkDuplicates(binds)
            let body = try parseExpr()
            return NixExpr(.letIn(binds, body), start, body.end)
        case .kwIf:
            try advance()
            let c = try parseExpr()
            _ = try expect(.kwThen)
            let t = try parseExpr()
            _ = try expect(.kwElse)
            let e = try parseExpr()
            return NixExpr(.ifThenElse(c, t, e), start, e.end)
        default:
            break
        }
        return try parseOp(0)
    }

    /// Decides whether a '{' opens a lambda's formals rather than a set (Nix's grammar needs lookahead here).
    mutating func looksLikeFormals() throws -> Bool {
        let t1 = try peek(1)
        switch t1.kind {
        case .rbrace:
            let t2 = try peek(2)
            return t2.kind == .colon || t2.kind == .at
        case .ellipsis: return true
        case .identifier:
            let t2 = try peek(2)
            return t2.kind == .comma || t2.kind == .question || t2.kind == .rbrace
        default: return false
        }
    }

    /// `{ a, b ? default, ... }` (the current token is '{').
    mutating func parseFormals() throws -> NixLambdaParameter {
        _ = try expect(.lbrace)
        var formals: [NixLambdaParameter.Formal] = []
        var ellipsis = false
        var seen = Set<String>()
        while cur.kind != .rbrace {
            if cur.kind == .ellipsis {
                ellipsis = true
                try advance()
                guard cur.kind == .rbrace else { throw unexpected("'}' after '...'") }
                break
            } else {
                let nameTok = try expect(.identifier, "a formal argument name, '...' or '}'")
                let name = text(nameTok)
                if !seen.insert(name).inserted {
                    throw Failure(offset: nameTok.start, message: "duplicate formal function argument '\(name)'")
                }
                var def: NixExpr?
                if cur.kind == .question {
                    try advance()
                    def = try parseExpr()
                }
                formals.append(.init(name: name, defaultValue: def))
            }
            if cur.kind == .comma { try advance(); continue }
            guard cur.kind == .rbrace else { throw unexpected("',' or '}'") }
        }
        try advance()
        return NixLambdaParameter(name: nil, formals: formals, ellipsis: ellipsis)
    }
}

extension NixParser {
    /// Reads and parses a file (used by `vouch nix-parse` and the benchmark).
    public static func parseFile(atPath path: String) throws -> (expr: NixExpr, bytes: Int) {
        let bytes = try readBytes(path)
        return (try parseOnLargeStack(bytes, file: path), bytes.count)
    }

    /// Reads a whole file straight into a byte array (no intermediate `Data` copy).
    static func readBytes(_ path: String) throws -> [UInt8] {
        let unreadable = NixSyntaxError(file: path, line: 1, column: 1, message: "cannot read the file; check the path and its permissions")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw unreadable }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size < Int(UInt32.max) else { throw unreadable }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 { throw unreadable }
            if n == 0 { break }
            filled += n
        }
        if filled < bytes.count { bytes.removeSubrange(filled...) }
        return bytes
    }
}

extension NixSyntaxError: LocalizedError {
    public var errorDescription: String? { description }
}
