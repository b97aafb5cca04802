/// A hand-written lexer for Nix over raw UTF-8 bytes, following the rules (and the
/// longest-match behaviour) of Nix's flex lexer, including its state stack for
/// strings, indented strings, interpolation and paths.
///
/// It never builds a `String` or `Character` per byte: tokens are byte ranges, decoded
/// by the parser only where a value is needed.
struct NixLexer {
    enum State: UInt8 { case normal, string, indString, inPath, inPathSlash }

    let b: UnsafeBufferPointer<UInt8>
    var pos = 0
    private var states: [State] = [.normal]
    /// Where each open string began (for "unterminated string" errors).
    private var openings: [Int] = []
    /// Set when a lexical error was found: (offset, message).
    private(set) var failure: (Int, String)?

    init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

    struct LexError: Error { var offset: Int; var message: String }

    // MARK: - Character classes

    @inline(__always) static func isIDStart(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95
    }
    @inline(__always) static func isIDChar(_ c: UInt8) -> Bool {
        isIDStart(c) || (c >= 48 && c <= 57) || c == 39 || c == 45
    }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    /// `[a-zA-Z0-9._\-+]`
    @inline(__always) static func isPathChar(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 46 || c == 95 || c == 45 || c == 43
    }
    /// The characters a URI may hold after its colon.
    @inline(__always) static func isURIChar(_ c: UInt8) -> Bool {
        if (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) { return true }
        switch c {
        case 37, 47, 63, 58, 64, 38, 61, 43, 36, 44, 45, 95, 46, 33, 126, 42, 39: return true // % / ? : @ & = + $ , - _ . ! ~ * '
        default: return false
        }
    }

    @inline(__always) func at(_ i: Int) -> UInt8 { i < b.count ? b[i] : 0 }

    // MARK: - Longest-match helpers (lengths from `p`, 0 when no match)

    /// `{PATH_CHAR}*(\/{PATH_CHAR}+)+\/?`
    func pathLength(_ p: Int) -> Int {
        var i = p
        while i < b.count, Self.isPathChar(b[i]) { i += 1 }
        var segments = 0
        while i + 1 < b.count, b[i] == 47, Self.isPathChar(b[i + 1]) {
            i += 1
            while i < b.count, Self.isPathChar(b[i]) { i += 1 }
            segments += 1
        }
        guard segments > 0 else { return 0 }
        if i < b.count, b[i] == 47 { i += 1 }
        return i - p
    }

    /// `{PATH_CHAR}*\/` (returned length includes the slash), 0 when none.
    func pathSegmentLength(_ p: Int) -> Int {
        var i = p
        while i < b.count, Self.isPathChar(b[i]) { i += 1 }
        return i < b.count && b[i] == 47 ? i + 1 - p : 0
    }

    /// `[a-zA-Z][a-zA-Z0-9+\-.]*:{URI_CHAR}+`
    func uriLength(_ p: Int) -> Int {
        guard p < b.count, (b[p] >= 97 && b[p] <= 122) || (b[p] >= 65 && b[p] <= 90) else { return 0 }
        var i = p + 1
        while i < b.count {
            let c = b[i]
            if (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 43 || c == 45 || c == 46 { i += 1 } else { break }
        }
        guard i < b.count, b[i] == 58 else { return 0 }
        i += 1
        let bodyStart = i
        while i < b.count, Self.isURIChar(b[i]) { i += 1 }
        return i > bodyStart ? i - p : 0
    }

    /// `(([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)?`
    func floatLength(_ p: Int) -> Int {
        var i = p
        if at(i) >= 49 && at(i) <= 57 {
            while Self.isDigit(at(i)) { i += 1 }
            guard at(i) == 46 else { return 0 }
            i += 1
            while Self.isDigit(at(i)) { i += 1 }
        } else {
            if at(i) == 48 { i += 1 }
            guard at(i) == 46, Self.isDigit(at(i + 1)) else { return 0 }
            i += 1
            while Self.isDigit(at(i)) { i += 1 }
        }
        if at(i) == 69 || at(i) == 101 {
            var j = i + 1
            if at(j) == 43 || at(j) == 45 { j += 1 }
            if Self.isDigit(at(j)) {
                while Self.isDigit(at(j)) { j += 1 }
                i = j
            }
        }
        return i - p
    }

    /// `\~(\/{PATH_CHAR}+)+\/?`
    func homePathLength(_ p: Int) -> Int {
        guard at(p) == 126 else { return 0 }
        let n = pathLength(p + 1)
        guard n > 0, at(p + 1) == 47 else { return 0 }
        return n + 1
    }

    /// `\<{PATH_CHAR}+(\/{PATH_CHAR}+)*\>`
    func searchPathLength(_ p: Int) -> Int {
        var i = p + 1
        guard Self.isPathChar(at(i)) else { return 0 }
        while Self.isPathChar(at(i)) { i += 1 }
        while at(i) == 47, Self.isPathChar(at(i + 1)) {
            i += 1
            while Self.isPathChar(at(i)) { i += 1 }
        }
        return at(i) == 62 ? i + 1 - p : 0
    }

    // MARK: - Scanning

    mutating func next() throws -> NixToken {
        switch states[states.count - 1] {
        case .normal: return try normalToken()
        case .string: return try stringToken()
        case .indString: return try indStringToken()
        case .inPath, .inPathSlash: return try pathToken()
        }
    }

    private mutating func fail(_ offset: Int, _ message: String) -> LexError { LexError(offset: offset, message: message) }

    @inline(__always) private mutating func tok(_ k: NixTokenKind, _ start: Int, _ len: Int) -> NixToken {
        pos = start + len
        return NixToken(kind: k, start: start, end: start + len)
    }

    private mutating func popState() { if states.count > 1 { states.removeLast() } }

    private mutating func skipTrivia() throws {
        while pos < b.count {
            let c = b[pos]
            if c == 32 || c == 10 || c == 9 || c == 13 {
                pos += 1
            } else if c == 35 {
                while pos < b.count, b[pos] != 10, b[pos] != 13 { pos += 1 }
            } else if c == 47, at(pos + 1) == 42 {
                let start = pos
                pos += 2
                while true {
                    guard pos + 1 < b.count else { throw fail(start, "unterminated /* comment; close it with */") }
                    if b[pos] == 42, b[pos + 1] == 47 { pos += 2; break }
                    pos += 1
                }
            } else {
                return
            }
        }
    }

    private mutating func normalToken() throws -> NixToken {
        try skipTrivia()
        let p = pos
        guard p < b.count else { return NixToken(kind: .eof, start: p, end: p) }
        let c = b[p]
        let c1 = at(p + 1)
        // Identifiers, keywords, URIs and paths that start with a letter.
        if Self.isIDStart(c) {
            var i = p + 1
            while i < b.count, Self.isIDChar(b[i]) { i += 1 }
            let idLen = i - p
            // A path or URI is only possible when the identifier is followed by '/', ':' or a path character.
            let follow = at(i)
            if follow == 47 || follow == 58 || follow == 46 || follow == 43 {
                if let t = pathOrURI(p, beating: idLen) { return t }
            }
            return tok(keyword(p, idLen), p, idLen)
        }
        if Self.isDigit(c) {
            var i = p + 1
            while i < b.count, Self.isDigit(b[i]) { i += 1 }
            let intLen = i - p
            let fl = floatLength(p)
            let follow = at(i)
            if follow == 47 || follow == 46 || Self.isPathChar(follow) {
                if let t = pathOrURI(p, beating: max(intLen, fl)) { return t }
            }
            if fl > intLen { return tok(.float, p, fl) }
            return tok(.integer, p, intLen)
        }
        switch c {
        case 46: // .
            let fl = floatLength(p)
            let ell = (c1 == 46 && at(p + 2) == 46) ? 3 : 0
            if let t = pathOrURI(p, beating: max(fl, ell, 1)) { return t }
            if fl > 0, fl >= ell { return tok(.float, p, fl) }
            if ell > 0 { return tok(.ellipsis, p, 3) }
            return tok(.dot, p, 1)
        case 47: // /
            if c1 == 47 { return tok(.update, p, 2) }
            if let t = pathOrURI(p, beating: 1) { return t }
            return tok(.slash, p, 1)
        case 126: // ~
            let n = homePathLength(p)
            let seg = (c1 == 47 && at(p + 2) == 36 && at(p + 3) == 123) ? 2 : 0
            if n > 0 || seg > 0 { return startPath(p, n > 0 ? n : seg) }
            throw fail(p, "unexpected character '~'")
        case 45, 43: // - +  (also path characters)
            if let t = pathOrURI(p, beating: (c == 45 && c1 == 62) || (c == 43 && c1 == 43) ? 2 : 1) { return t }
            if c == 45 { return c1 == 62 ? tok(.impl, p, 2) : tok(.minus, p, 1) }
            return c1 == 43 ? tok(.concat, p, 2) : tok(.plus, p, 1)
        case 34: states.append(.string); openings.append(p); return tok(.stringOpen, p, 1)
        case 39:
            guard c1 == 39 else { throw fail(p, "unexpected character \"'\"") }
            // ''  plus, when the rest of the line is blank, the spaces and the newline.
            var i = p + 2
            while at(i) == 32 { i += 1 }
            let len = at(i) == 10 ? i + 1 - p : 2
            states.append(.indString)
            openings.append(p)
            return tok(.indStringOpen, p, len)
        case 36:
            guard c1 == 123 else { throw fail(p, "unexpected character '$'") }
            states.append(.normal)
            return tok(.dollarCurly, p, 2)
        case 123: states.append(.normal); return tok(.lbrace, p, 1)
        case 125: popState(); return tok(.rbrace, p, 1)
        case 91: return tok(.lbracket, p, 1)
        case 93: return tok(.rbracket, p, 1)
        case 40: return tok(.lparen, p, 1)
        case 41: return tok(.rparen, p, 1)
        case 59: return tok(.semicolon, p, 1)
        case 58: return tok(.colon, p, 1)
        case 44: return tok(.comma, p, 1)
        case 64: return tok(.at, p, 1)
        case 63: return tok(.question, p, 1)
        case 42: return tok(.star, p, 1)
        case 61: return c1 == 61 ? tok(.eq, p, 2) : tok(.assign, p, 1)
        case 33: return c1 == 61 ? tok(.neq, p, 2) : tok(.not, p, 1)
        case 60:
            if c1 == 61 { return tok(.leq, p, 2) }
            let n = searchPathLength(p)
            return n > 0 ? tok(.searchPath, p, n) : tok(.lt, p, 1)
        case 62: return c1 == 61 ? tok(.geq, p, 2) : tok(.gt, p, 1)
        case 38:
            guard c1 == 38 else { throw fail(p, "unexpected character '&' (did you mean '&&'?)") }
            return tok(.and, p, 2)
        case 124:
            guard c1 == 124 else { throw fail(p, "unexpected character '|' (did you mean '||'?)") }
            return tok(.or, p, 2)
        default:
            if c >= 0x80 { throw fail(p, "unexpected non-ASCII character outside a string or comment") }
            if c < 0x20 || c == 0x7F { throw fail(p, "unexpected control character (byte 0x\(String(c, radix: 16, uppercase: true)))") }
            throw fail(p, "unexpected character '\(Character(Unicode.Scalar(c)))'")
        }
    }

    /// Tries the path and URI rules at `p`; returns a token when one is longer than `other`.
    private mutating func pathOrURI(_ p: Int, beating other: Int) -> NixToken? {
        // Both need a '/' (path) or ':' (URI) right after the run of path characters: check that first.
        var j = p
        while j < b.count, Self.isPathChar(b[j]) { j += 1 }
        guard j < b.count, b[j] == 47 || b[j] == 58 else { return nil }
        let path = pathLength(p)
        let seg = pathSegmentLength(p)
        let segInterp = seg > 0 && at(p + seg) == 36 && at(p + seg + 1) == 123 ? seg + 2 : 0
        let uri = uriLength(p)
        let best = max(path, segInterp, uri)
        guard best > other else { return nil }
        if uri == best, uri > path, uri > segInterp { return tok(.uri, p, uri) }
        if path >= segInterp { return startPath(p, path) }
        return startPath(p, seg)
    }

    private mutating func startPath(_ p: Int, _ len: Int) -> NixToken {
        states.append(b[p + len - 1] == 47 ? .inPathSlash : .inPath)
        return tok(.pathStart, p, len)
    }

    private func keyword(_ p: Int, _ n: Int) -> NixTokenKind {
        @inline(__always) func eq(_ s: StaticString) -> Bool {
            guard s.utf8CodeUnitCount == n else { return false }
            let q = s.utf8Start
            for k in 0..<n where b[p + k] != q[k] { return false }
            return true
        }
        switch b[p] {
        case 105: if eq("if") { return .kwIf }; if eq("in") { return .kwIn }; if eq("inherit") { return .kwInherit }
        case 116: if eq("then") { return .kwThen }
        case 101: if eq("else") { return .kwElse }
        case 97: if eq("assert") { return .kwAssert }
        case 119: if eq("with") { return .kwWith }
        case 108: if eq("let") { return .kwLet }
        case 114: if eq("rec") { return .kwRec }
        case 111: if eq("or") { return .kwOr }
        default: break
        }
        return .identifier
    }

    private mutating func stringToken() throws -> NixToken {
        let p = pos
        guard p < b.count else { throw fail(openings.last ?? p, "unterminated string: a '\"' is missing") }
        if b[p] == 34 { popState(); openings.removeLast(); return tok(.stringClose, p, 1) }
        if b[p] == 36, at(p + 1) == 123 { states.append(.normal); return tok(.dollarCurly, p, 2) }
        var i = p
        while i < b.count {
            let c = b[i]
            if c == 34 { break }
            if c == 92 { i += 2; continue }
            if c == 36 {
                let n = at(i + 1)
                if n == 123 { break }
                i += n == 34 ? 1 : (n == 92 ? 3 : 2)
                continue
            }
            i += 1
        }
        if i >= b.count { throw fail(openings.last ?? p, "unterminated string: a '\"' is missing") }
        return tok(.stringFragment, p, i - p)
    }

    private mutating func indStringToken() throws -> NixToken {
        let p = pos
        guard p < b.count else { throw fail(openings.last ?? p, "unterminated indented string: the closing '' is missing") }
        if b[p] == 39, at(p + 1) == 39 {
            let n = at(p + 2)
            if n == 36 || n == 39 { return tok(.indStringEscape, p, 3) }
            if n == 92 {
                guard p + 3 < b.count else { throw fail(openings.last ?? p, "unterminated indented string: the closing '' is missing") }
                return tok(.indStringEscape, p, 4)
            }
            popState()
            openings.removeLast()
            return tok(.indStringClose, p, 2)
        }
        if b[p] == 36, at(p + 1) == 123 { states.append(.normal); return tok(.dollarCurly, p, 2) }
        var i = p
        while i < b.count {
            let c = b[i]
            if c == 36 {
                let n = at(i + 1)
                if n == 123 { break }
                i += (n == 39 || i + 1 >= b.count) ? 1 : 2
                continue
            }
            if c == 39 {
                let n = at(i + 1)
                if n == 39 { break }
                i += (n == 36 || i + 1 >= b.count) ? 1 : 2
                continue
            }
            i += 1
        }
        if i >= b.count { throw fail(openings.last ?? p, "unterminated indented string: the closing '' is missing") }
        return tok(.indStringFragment, p, i - p)
    }

    private mutating func pathToken() throws -> NixToken {
        let p = pos
        if at(p) == 36, at(p + 1) == 123 {
            states[states.count - 1] = .inPath
            states.append(.normal)
            return tok(.dollarCurly, p, 2)
        }
        let len = max(pathLength(p), pathSegmentLength(p), { var i = p; while Self.isPathChar(at(i)) { i += 1 }; return i - p }())
        if len > 0 {
            states[states.count - 1] = b[p + len - 1] == 47 ? .inPathSlash : .inPath
            return tok(.pathFragment, p, len)
        }
        if states[states.count - 1] == .inPathSlash { throw fail(p - 1, "path has a trailing slash; remove the '/'") }
        popState()
        return NixToken(kind: .pathEnd, start: p, end: p)
    }
}
