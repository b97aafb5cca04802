import Foundation

/// Simple expressions: literals, strings, paths, lists, sets, parentheses; and bindings.
extension NixParser {
    mutating func parseSimple() throws -> NixExpr {
        let t = cur
        switch t.kind {
        case .identifier:
            try advance()
            return NixExpr(.variable(text(t)), t.start, t.end)
        case .integer:
            try advance()
            var v: Int64 = 0
            for i in t.start..<t.end {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(b[i] - 48))
                if o1 || o2 { throw Failure(offset: t.start, message: "invalid integer '\(text(t))': too large for a 64-bit integer") }
                v = a
            }
            return NixExpr(.int(v), t.start, t.end)
        case .float:
            try advance()
            return NixExpr(.float(Double(text(t)) ?? .nan), t.start, t.end)
        case .uri:
            try advance()
            return NixExpr(.uri(text(t)), t.start, t.end)
        case .searchPath:
            try advance()
            let s = String(decoding: UnsafeBufferPointer(rebasing: b[(t.start + 1)..<(t.end - 1)]), as: UTF8.self)
            return NixExpr(.searchPath(s), t.start, t.end)
        case .stringOpen:
            let (parts, end) = try parseStringParts()
            return NixExpr(.string(parts), t.start, end)
        case .indStringOpen:
            return try parseIndentedString()
        case .pathStart:
            return try parsePath()
        case .lparen:
            try advance()
            let e = try parseExpr()
            let close = try expect(.rparen, "')'")
            return NixExpr(e.kind, t.start, close.end)
        case .lbracket:
            try advance()
            var items: [NixExpr] = []
            while cur.kind != .rbracket {
                guard Self.startsArgument(cur.kind) || cur.kind == .kwLet else { throw unexpected("a list element or ']'") }
                items.append(try parseSelect())
            }
            let close = cur
            try advance()
            return NixExpr(.list(items), t.start, close.end)
        case .lbrace:
            try advance()
            let binds = try parseBindings(until: .rbrace)
            let close = try expect(.rbrace, "'}'")
            try checkDuplicates(binds)
            return NixExpr(.attrSet(recursive: false, binds), t.start, close.end)
        case .kwRec:
            try advance()
            _ = try expect(.lbrace, "'{' after 'rec'")
            let binds = try parseBindings(until: .rbrace)
            let close = try expect(.rbrace, "'}'")
            try checkDuplicates(binds)
            return NixExpr(.attrSet(recursive: true, binds), t.start, close.end)
        case .kwLet:
            try advance()
            _ = try expect(.lbrace, "'{' after 'let' (or bindings and 'in')")
            let binds = try parseBindings(until: .rbrace)
            let close = try expect(.rbrace, "'}'")
            try checkDuplicates(binds)
            return NixExpr(.legacyLet(binds), t.start, close.end)
        default:
            throw unexpected("an expression")
        }
    }

    /// Bindings up to (not including) `terminator`: `a.b = e;`, `inherit a "b";`, `inherit (e) a;`.
    mutating func parseBindings(until terminator: NixTokenKind) throws -> [NixBinding] {
        var out: [NixBinding] = []
        while cur.kind != terminator {
            let start = cur.start
            if cur.kind == .kwInherit {
                try advance()
                var from: NixExpr?
                if cur.kind == .lparen {
                    try advance()
                    from = try parseExpr()
                    _ = try expect(.rparen, "')'")
                }
                var names: [NixAttrName] = []
                while cur.kind != .semicolon {
                    let nameStart = cur.start
                    let (name, _) = try parseAttrName()
                    if name.staticName == nil {
                        throw Failure(offset: nameStart, message: "dynamic attributes are not allowed in inherit")
                    }
                    names.append(name)
                }
                let semi = try expect(.semicolon)
                out.append(NixBinding(kind: .inherit(from, names), start: start, end: semi.end))
            } else {
                guard cur.kind == .identifier || cur.kind == .kwOr || cur.kind == .stringOpen || cur.kind == .dollarCurly else {
                    throw unexpected(terminator == .kwIn ? "a binding or 'in'" : "a binding or '}'")
                }
                let path = try parseAttrPath()
                _ = try expect(.assign, "'='")
                let value = try parseExpr()
                let semi = try expect(.semicolon, "';'")
                out.append(NixBinding(kind: .assign(path.names, value), start: start, end: semi.end))
            }
        }
        return out
    }

    /// `"…"` (the current token is the opening quote): literal pieces with escapes decoded.
    mutating func parseStringParts() throws -> ([NixStringPart], Int) {
        try advance()
        var parts: [NixStringPart] = []
        while true {
            switch cur.kind {
            case .stringFragment:
                parts.append(.literal(decodeEscapes(cur.start, cur.end)))
                try advance()
            case .dollarCurly:
                try advance()
                let e = try parseExpr()
                _ = try expect(.rbrace, "'}' to close '${'")
                parts.append(.interpolation(e))
            case .stringClose:
                let end = cur.end
                try advance()
                return (parts, end)
            default:
                throw unexpected("'\"'")
            }
        }
    }

    /// Decodes `\n \r \t \x` in a "…" fragment.
    func decodeEscapes(_ s: Int, _ e: Int) -> String {
        var hasEscape = false
        for i in s..<e where b[i] == 92 { hasEscape = true; break }
        if !hasEscape { return String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(e - s)
        var i = s
        while i < e {
            let c = b[i]
            if c == 92, i + 1 < e {
                let n = b[i + 1]
                out.append(n == 110 ? 10 : n == 114 ? 13 : n == 116 ? 9 : n)
                i += 2
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A path literal: its first piece, then pieces and interpolations up to the path's end.
    mutating func parsePath() throws -> NixExpr {
        let start = cur.start
        var parts: [NixStringPart] = [.literal(text(cur))]
        var end = cur.end
        try advance()
        while cur.kind != .pathEnd {
            switch cur.kind {
            case .pathFragment:
                parts.append(.literal(text(cur)))
                end = cur.end
                try advance()
            case .dollarCurly:
                try advance()
                let e = try parseExpr()
                end = try expect(.rbrace, "'}' to close '${'").end
                parts.append(.interpolation(e))
            default:
                throw unexpected("the rest of the path")
            }
        }
        try advance()
        return NixExpr(.path(parts), start, end)
    }
}
